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
}
