using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tern.Kvm.Interop;

namespace Tern.Kvm.Tests;

/// <summary>Each blittable mirror of a linux/kvm.h struct has the size the x86_64 kernel header gives it.</summary>
public class KvmStructSizeTests
{
    private static void AssertSize<T>(int kernelSize) where T : unmanaged
    {
        Assert.Equal(kernelSize, Unsafe.SizeOf<T>());
        Assert.Equal(kernelSize, Marshal.SizeOf<T>());
    }

    [Fact] public void Kvm_regs_is_144_bytes() => AssertSize<kvm_regs>(144);
    [Fact] public void Kvm_segment_is_24_bytes() => AssertSize<kvm_segment>(24);
    [Fact] public void Kvm_dtable_is_16_bytes() => AssertSize<kvm_dtable>(16);
    [Fact] public void Kvm_sregs_is_312_bytes() => AssertSize<kvm_sregs>(312);
    [Fact] public void Kvm_userspace_memory_region_is_32_bytes() => AssertSize<kvm_userspace_memory_region>(32);
    [Fact] public void Kvm_cpuid_entry2_is_40_bytes() => AssertSize<kvm_cpuid_entry2>(40);
    [Fact] public void Kvm_msr_entry_is_16_bytes() => AssertSize<kvm_msr_entry>(16);
    [Fact] public void Kvm_pit_config_is_64_bytes() => AssertSize<kvm_pit_config>(64);
    [Fact] public void Kvm_irq_level_is_8_bytes() => AssertSize<kvm_irq_level>(8);
    [Fact] public void Kvm_msi_is_32_bytes() => AssertSize<kvm_msi>(32);
    [Fact] public void Kvm_ioeventfd_is_64_bytes() => AssertSize<kvm_ioeventfd>(64);
    [Fact] public void Kvm_irqfd_is_32_bytes() => AssertSize<kvm_irqfd>(32);
    [Fact] public void Kvm_dirty_log_is_16_bytes() => AssertSize<kvm_dirty_log>(16);

    // Saved state (src/Kvm/State)
    [Fact] public void Kvm_vcpu_events_is_64_bytes() => AssertSize<kvm_vcpu_events>(64);
    [Fact] public void Kvm_debugregs_is_128_bytes() => AssertSize<kvm_debugregs>(128);
    [Fact] public void Kvm_xcr_is_16_bytes() => AssertSize<kvm_xcr>(16);
    [Fact] public void Msghdr_is_56_bytes() => AssertSize<Tern.Kvm.Interop.Libc.msghdr>(56);
    [Fact] public void Cmsghdr_is_16_bytes() => AssertSize<Tern.Kvm.Interop.Libc.cmsghdr>(16);
    [Fact] public void Ifreq_with_an_index_is_40_bytes() => AssertSize<Tern.Kvm.Interop.Libc.IfReqIndex>(40);
    [Fact] public void If_nameindex_is_16_bytes() => AssertSize<Tern.Kvm.Interop.Libc.if_nameindex>(16);
    [Fact] public void Nlmsghdr_is_16_bytes() => AssertSize<Tern.Kvm.Interop.Libc.nlmsghdr>(16);
    [Fact] public void Ifinfomsg_is_16_bytes() => AssertSize<Tern.Kvm.Interop.Libc.ifinfomsg>(16);
    [Fact] public void A_link_request_is_a_header_and_an_ifinfomsg() => AssertSize<Tern.Kvm.Interop.Libc.LinkRequest>(32);
    [Fact] public void A_netlink_ack_is_a_header_and_an_nlmsgerr() => AssertSize<Tern.Kvm.Interop.Libc.NetlinkAck>(36);
    [Fact] public void Kvm_xcrs_is_392_bytes() => AssertSize<kvm_xcrs>(392);
    [Fact] public void Kvm_clock_data_is_48_bytes() => AssertSize<kvm_clock_data>(48);
    [Fact] public void Kvm_pic_state_is_16_bytes() => AssertSize<kvm_pic_state>(16);
    [Fact] public void Kvm_ioapic_state_is_216_bytes() => AssertSize<kvm_ioapic_state>(216);
    [Fact] public void Kvm_irqchip_is_520_bytes() => AssertSize<kvm_irqchip>(520);
    [Fact] public void Kvm_pit_channel_state_is_24_bytes() => AssertSize<kvm_pit_channel_state>(24);
    [Fact] public void Kvm_pit_state2_is_112_bytes() => AssertSize<kvm_pit_state2>(112);

    // Host paths (linux/stat.h)
    [Fact] public void Statx_timestamp_is_16_bytes() => AssertSize<Libc.statx_timestamp>(16);
    [Fact] public void Statx_is_256_bytes() => AssertSize<Libc.statx>(256);

    [Fact]
    public void Statx_fields_sit_where_the_kernel_puts_them()
    {
        Assert.Equal(0x1c, (int)Marshal.OffsetOf<Libc.statx>(nameof(Libc.statx.stx_mode)));
        Assert.Equal(0x20, (int)Marshal.OffsetOf<Libc.statx>(nameof(Libc.statx.stx_ino)));
        Assert.Equal(0x88, (int)Marshal.OffsetOf<Libc.statx>(nameof(Libc.statx.stx_dev_major)));
    }

    [Fact]
    public void Kvm_vcpu_events_fields_sit_where_the_kernel_puts_them()
    {
        Assert.Equal(20, (int)Marshal.OffsetOf<kvm_vcpu_events>(nameof(kvm_vcpu_events.flags)));
        Assert.Equal(24, (int)Marshal.OffsetOf<kvm_vcpu_events>(nameof(kvm_vcpu_events.smi_smm)));
        Assert.Equal(55, (int)Marshal.OffsetOf<kvm_vcpu_events>(nameof(kvm_vcpu_events.exception_has_payload)));
        Assert.Equal(56, (int)Marshal.OffsetOf<kvm_vcpu_events>(nameof(kvm_vcpu_events.exception_payload)));
    }
}
