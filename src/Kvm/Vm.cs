using Tern.Kvm.Interop;
using Tern.Kvm.Memory;

namespace Tern.Kvm;

/// <summary>A KVM virtual machine: memory slots, the in-kernel irqchip and PIT, interrupts, ioeventfds, vCPUs.</summary>
public sealed class Vm : IDisposable
{
    private const uint KVM_MEM_LOG_DIRTY_PAGES = 1;
    private const uint KVM_PIT_SPEAKER_DUMMY = 1;
    private const uint KVM_IOEVENTFD_FLAG_DATAMATCH = 1;
    private const uint KVM_IOEVENTFD_FLAG_PIO = 2;
    private const uint KVM_IOEVENTFD_FLAG_DEASSIGN = 4;
    private const uint KVM_IRQFD_FLAG_DEASSIGN = 1;

    private readonly KvmSystem _kvm;
    private readonly KvmHandle _handle;
    /// <summary>The RAM regions mapped, each in the memory slot numbered by its index.</summary>
    private readonly List<GuestRegion> _slots = [];

    internal Vm(KvmSystem kvm, KvmHandle handle)
    {
        _kvm = kvm;
        _handle = handle;
    }

    public KvmSystem Kvm => _kvm;

    /// <summary>Registers every RAM region of <paramref name="memory"/> as a memory slot.</summary>
    public void MapMemory(GuestMemory memory)
    {
        foreach (var region in memory.Regions)
        {
            SetMemoryRegion((uint)_slots.Count, region, 0);
            _slots.Add(region);
        }
    }

    private unsafe void SetMemoryRegion(uint slot, GuestRegion region, uint flags)
    {
        var r = new kvm_userspace_memory_region
        {
            slot = slot,
            flags = flags,
            guest_phys_addr = region.Start,
            memory_size = region.Size,
            userspace_addr = (ulong)region.Host,
        };
        // SAFETY: r is a local the kernel only reads.
        _handle.Ioctl(KvmIoctls.KVM_SET_USER_MEMORY_REGION, &r, "KVM_SET_USER_MEMORY_REGION");
    }

    /// <summary>Turns KVM's dirty-page logging on or off for every RAM slot.</summary>
    public void SetDirtyLogging(bool enabled)
    {
        for (int slot = 0; slot < _slots.Count; slot++) SetMemoryRegion((uint)slot, _slots[slot], enabled ? KVM_MEM_LOG_DIRTY_PAGES : 0);
    }

    /// <summary>KVM_GET_DIRTY_LOG for the slot of <paramref name="region"/>: one bit per page, cleared in KVM.</summary>
    public unsafe void GetDirtyLog(GuestRegion region, Span<ulong> bitmap)
    {
        uint slot = SlotOf(region);
        if ((ulong)bitmap.Length * 64 < region.Size / 4096) throw new ArgumentException("dirty bitmap too small", nameof(bitmap));
        fixed (ulong* bits = bitmap)
        {
            var log = new kvm_dirty_log { slot = slot, dirty_bitmap = (nint)bits };
            // SAFETY: the kernel writes region.Size/4096 bits into bitmap, which is at least that long (checked).
            _handle.Ioctl(KvmIoctls.KVM_GET_DIRTY_LOG, &log, "KVM_GET_DIRTY_LOG");
        }
    }

    // IndexOf, not LINQ: the dirty log is read every pre-copy round and must not allocate.
    private uint SlotOf(GuestRegion region)
    {
        int slot = _slots.IndexOf(region);
        return slot >= 0 ? (uint)slot : throw new ArgumentException("region is not mapped into this VM", nameof(region));
    }

    /// <summary>True when <paramref name="region"/> is one of this VM's memory slots.</summary>
    public bool Maps(GuestRegion region) => _slots.Contains(region);

    /// <summary>KVM_CHECK_EXTENSION on this VM (some answers, such as KVM_CAP_XSAVE2, are per VM).</summary>
    public int CheckExtension(KvmCap cap) => _handle.TryIoctl(KvmIoctls.KVM_CHECK_EXTENSION, (nint)cap);

    public void SetTssAddress(ulong address) => _handle.Ioctl(KvmIoctls.KVM_SET_TSS_ADDR, (nint)address, "KVM_SET_TSS_ADDR");

    public unsafe void SetIdentityMapAddress(ulong address)
    {
        // SAFETY: the kernel reads one u64 from the local.
        _handle.Ioctl(KvmIoctls.KVM_SET_IDENTITY_MAP_ADDR, &address, "KVM_SET_IDENTITY_MAP_ADDR");
    }

    /// <summary>The in-kernel PIC, IOAPIC and LAPICs.</summary>
    public void CreateIrqchip() => _handle.Ioctl(KvmIoctls.KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP");

    /// <summary>The in-kernel i8254 PIT (with the dummy speaker port 0x61).</summary>
    public unsafe void CreatePit()
    {
        var config = new kvm_pit_config { flags = KVM_PIT_SPEAKER_DUMMY };
        // SAFETY: the kernel reads the local.
        _handle.Ioctl(KvmIoctls.KVM_CREATE_PIT2, &config, "KVM_CREATE_PIT2");
    }

    /// <summary>Sets an irqchip input pin (GSI) high or low.</summary>
    public unsafe void SetIrqLine(uint gsi, bool level)
    {
        var irq = new kvm_irq_level { irq = gsi, level = level ? 1u : 0u };
        // SAFETY: the kernel reads the local.
        _handle.Ioctl(KvmIoctls.KVM_IRQ_LINE, &irq, "KVM_IRQ_LINE");
    }

    /// <summary>Injects one MSI with the address/data the guest programmed.</summary>
    public unsafe void SignalMsi(ulong address, uint data)
    {
        var msi = new kvm_msi { address_lo = (uint)address, address_hi = (uint)(address >> 32), data = data };
        // SAFETY: the kernel reads the local. Returns 0 when the guest blocked it, which is not an error.
        _handle.Ioctl(KvmIoctls.KVM_SIGNAL_MSI, &msi, "KVM_SIGNAL_MSI");
    }

    /// <summary>Makes guest writes of <paramref name="length"/> bytes at an MMIO or port address signal the eventfd in the kernel.</summary>
    public void RegisterIoEvent(ulong address, uint length, EventFd fd, bool pio = false, ulong? dataMatch = null) =>
        IoEvent(address, length, fd, pio, dataMatch, deassign: false);

    public void UnregisterIoEvent(ulong address, uint length, EventFd fd, bool pio = false, ulong? dataMatch = null) =>
        IoEvent(address, length, fd, pio, dataMatch, deassign: true);

    private unsafe void IoEvent(ulong address, uint length, EventFd fd, bool pio, ulong? dataMatch, bool deassign)
    {
        // KVM looks the number up during the ioctl (and keeps its own reference after), so it need be held only for the call.
        using var eventFd = fd.Handle.Borrow();
        var e = new kvm_ioeventfd
        {
            addr = address,
            len = length,
            fd = eventFd.Number,
            datamatch = dataMatch ?? 0,
            flags = (pio ? KVM_IOEVENTFD_FLAG_PIO : 0)
                  | (dataMatch.HasValue ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0)
                  | (deassign ? KVM_IOEVENTFD_FLAG_DEASSIGN : 0),
        };
        // SAFETY: the kernel reads the local.
        _handle.Ioctl(KvmIoctls.KVM_IOEVENTFD, &e, "KVM_IOEVENTFD");
    }

    /// <summary>Makes a write to the eventfd raise GSI <paramref name="gsi"/> in the kernel.</summary>
    public unsafe void RegisterIrqFd(EventFd fd, uint gsi, bool deassign = false)
    {
        using var eventFd = fd.Handle.Borrow(); // held for the ioctl, as in IoEvent
        var e = new kvm_irqfd { fd = (uint)eventFd.Number, gsi = gsi, flags = deassign ? KVM_IRQFD_FLAG_DEASSIGN : 0 };
        // SAFETY: the kernel reads the local.
        _handle.Ioctl(KvmIoctls.KVM_IRQFD, &e, "KVM_IRQFD");
    }

    public Vcpu CreateVcpu(int id)
    {
        int fd = _handle.Ioctl(KvmIoctls.KVM_CREATE_VCPU, id, "KVM_CREATE_VCPU");
        return new Vcpu(id, new KvmHandle(fd), _kvm.VcpuMmapSize) { Vm = this };
    }

    // ----- in-kernel device state (save/restore while the vCPUs are stopped) -----

    /// <summary>KVM_GET_IRQCHIP: the 512-byte state of chip 0 (PIC master), 1 (PIC slave) or 2 (IOAPIC).</summary>
    public unsafe void GetIrqchip(uint chipId, Span<byte> state)
    {
        if (state.Length != kvm_irqchip.ChipSize) throw new ArgumentException("irqchip state is 512 bytes", nameof(state));
        var chip = new kvm_irqchip { chip_id = chipId };
        // SAFETY: the kernel reads chip_id from the local and fills its union.
        _handle.Ioctl(KvmIoctls.KVM_GET_IRQCHIP, &chip, "KVM_GET_IRQCHIP");
        new ReadOnlySpan<byte>(chip.chip, kvm_irqchip.ChipSize).CopyTo(state);
    }

    public unsafe void SetIrqchip(uint chipId, ReadOnlySpan<byte> state)
    {
        if (state.Length != kvm_irqchip.ChipSize) throw new ArgumentException("irqchip state is 512 bytes", nameof(state));
        var chip = new kvm_irqchip { chip_id = chipId };
        state.CopyTo(new Span<byte>(chip.chip, kvm_irqchip.ChipSize));
        // SAFETY: the kernel reads the local.
        _handle.Ioctl(KvmIoctls.KVM_SET_IRQCHIP, &chip, "KVM_SET_IRQCHIP");
    }

    public unsafe kvm_pit_state2 GetPit2()
    {
        kvm_pit_state2 pit;
        // SAFETY: the kernel fills the local.
        _handle.Ioctl(KvmIoctls.KVM_GET_PIT2, &pit, "KVM_GET_PIT2");
        return pit;
    }

    public unsafe void SetPit2(in kvm_pit_state2 pit)
    {
        fixed (kvm_pit_state2* p = &pit)
            // SAFETY: the kernel reads the pinned value.
            _handle.Ioctl(KvmIoctls.KVM_SET_PIT2, p, "KVM_SET_PIT2");
    }

    /// <summary>KVM_GET_CLOCK: the VM's kvmclock in nanoseconds, with flags saying how it was read.</summary>
    public unsafe kvm_clock_data GetClock()
    {
        kvm_clock_data clock;
        // SAFETY: the kernel fills the local.
        _handle.Ioctl(KvmIoctls.KVM_GET_CLOCK, &clock, "KVM_GET_CLOCK");
        return clock;
    }

    public unsafe void SetClock(in kvm_clock_data clock)
    {
        fixed (kvm_clock_data* p = &clock)
            // SAFETY: the kernel reads the pinned value.
            _handle.Ioctl(KvmIoctls.KVM_SET_CLOCK, p, "KVM_SET_CLOCK");
    }

    public void Dispose() => _handle.Dispose();
}
