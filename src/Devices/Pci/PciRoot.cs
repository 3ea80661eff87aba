using Tern.Devices.Bus;
using Tern.Devices.Config;
using Tern.Kvm.Arch;

namespace Tern.Devices.Pci;

/// <summary>
/// The root bus pcie.0: 32 slots of up to 8 functions, the host bridge (at 00.0 unless that is taken), configuration
/// access for the two access mechanisms, and the BAR mappings on the I/O and MMIO buses. Every
/// configuration access is serialised here; after each write the BAR mappings are brought in
/// line with the registers (a moved BAR moves on the bus and the observer is told).
/// </summary>
public sealed class PciRoot
{
    public const int SlotCount = 32;
    public const int FunctionCount = 8;

    private readonly IPciDevice?[,] _functions = new IPciDevice?[SlotCount, FunctionCount];
    private readonly Dictionary<(IPciDevice Device, int Bar), ulong> _mapped = [];
    private readonly Lock _lock = new();
    private DeviceBus? _ioBus;
    private DeviceBus? _mmioBus;

    public PciRoot(bool withHostBridge = true)
    {
        if (withHostBridge) AddHostBridge();
    }

    public PciHostBridge? HostBridge { get; private set; }

    /// <summary>
    /// Places the host bridge at 00.0, where q35 has it, or, when the user put a device there (the
    /// StratoVirt migration document uses addr=0), at the highest free slot: Linux does not need it at 00.0.
    /// </summary>
    public void AddHostBridge()
    {
        if (HostBridge is not null) return;
        int slot = Find(0, 0) is null ? 0 : Enumerable.Range(0, SlotCount).Reverse().First(s => Find(s, 0) is null);
        Add(new PciAddress((byte)slot, 0), HostBridge = new PciHostBridge());
    }

    /// <summary>Told of every BAR that starts, stops or moves decoding; may be set after building.</summary>
    public IBarObserver? BarObserver { get; set; }

    /// <summary>Places a function; throws <see cref="PciBuildException"/> if the address is taken or invalid.</summary>
    public void Add(PciAddress address, IPciDevice device)
    {
        if (address.Slot >= SlotCount || address.Function >= FunctionCount)
            throw new PciBuildException($"device '{device.Name}': addr {address} is outside pcie.0 (slot 0..0x1f, function 0..7)");
        lock (_lock)
        {
            var existing = _functions[address.Slot, address.Function];
            if (existing is not null)
                throw new PciBuildException($"device '{device.Name}': addr {address} on pcie.0 is already used by '{existing.Name}'");
            _functions[address.Slot, address.Function] = device;
        }
    }

    public IPciDevice? Find(int slot, int function) =>
        slot is >= 0 and < SlotCount && function is >= 0 and < FunctionCount ? _functions[slot, function] : null;

    /// <summary>Every function with its address, in slot/function order.</summary>
    public IReadOnlyList<(PciAddress Address, IPciDevice Device)> Devices
    {
        get
        {
            var list = new List<(PciAddress, IPciDevice)>();
            for (int s = 0; s < SlotCount; s++)
                for (int f = 0; f < FunctionCount; f++)
                    if (_functions[s, f] is { } d) list.Add((new PciAddress((byte)s, (byte)f), d));
            return list;
        }
    }

    /// <summary>Reads configuration space; an absent function (or bus other than 0) reads all-ones.</summary>
    public void ReadConfig(int bus, int slot, int function, int offset, Span<byte> data)
    {
        var device = bus == 0 ? Find(slot, function) : null;
        if (device is null || offset < 0 || offset + data.Length > PciConfigSpace.Size)
        {
            data.Fill(0xff);
            return;
        }
        lock (_lock)
        {
            device.ReadConfig(offset, data);
            // Function 0 says "multi-function" when its slot holds others, so guests scan them.
            int headerAt = PciRegisters.HeaderType - offset;
            if (function == 0 && headerAt >= 0 && headerAt < data.Length && HasOtherFunctions(slot))
                data[headerAt] |= PciRegisters.HeaderTypeMultiFunction;
        }
    }

    /// <summary>Writes configuration space; writes to absent functions are dropped.</summary>
    public void WriteConfig(int bus, int slot, int function, int offset, ReadOnlySpan<byte> data)
    {
        var device = bus == 0 ? Find(slot, function) : null;
        if (device is null || offset < 0 || offset + data.Length > PciConfigSpace.Size) return;
        lock (_lock)
        {
            device.WriteConfig(offset, data);
            SyncBars();
        }
    }

    private bool HasOtherFunctions(int slot)
    {
        for (int f = 1; f < FunctionCount; f++)
            if (_functions[slot, f] is not null) return true;
        return false;
    }

    /// <summary>
    /// Gives every BAR an address from <paramref name="allocator"/> (as firmware would) and, with
    /// <paramref name="enableDecoding"/>, turns on memory/I/O decoding of the functions that have BARs.
    /// </summary>
    public void AssignBars(PciBarAllocator allocator, bool enableDecoding = true)
    {
        lock (_lock)
        {
            foreach (var (address, device) in Devices)
            {
                foreach (var bar in device.Bars.OrderByDescending(b => b.Size))
                {
                    ulong at = allocator.Allocate(bar, device.Name);
                    device.ProgramBar(bar.Index, at);
                }
                if (enableDecoding && device.Bars.Count > 0 && device is PciFunction function) function.EnableDecoding();
            }
            SyncBars();
        }
    }

    /// <summary>
    /// Puts the configuration mechanisms on the buses: ports 0xCF8..0xCFF (with the 0xCF9 reset
    /// register calling <paramref name="onReset"/>) and the ECAM window, then maps decoding BARs.
    /// </summary>
    public void Attach(DeviceBus ioBus, DeviceBus mmioBus, ulong ecamBase, ulong ecamSize, Action onReset)
    {
        lock (_lock)
        {
            ioBus.Insert(new PciConfigPorts(this, onReset), PcIoPorts.PciConfigBase, PcIoPorts.PciConfigLength);
            mmioBus.Insert(new PciEcam(this), ecamBase, ecamSize);
            _ioBus = ioBus;
            _mmioBus = mmioBus;
            SyncBars();
        }
    }

    /// <summary>Where BAR <paramref name="barIndex"/> of <paramref name="device"/> is mapped on its bus now.</summary>
    public ulong? MappedAddress(IPciDevice device, int barIndex)
    {
        lock (_lock) return _mapped.TryGetValue((device, barIndex), out var a) ? a : null;
    }

    /// <summary>The doorbells of every mapped BAR, to register as KVM ioeventfds.</summary>
    public IReadOnlyList<IoEventFdBinding> IoEventFds()
    {
        lock (_lock)
        {
            var list = new List<IoEventFdBinding>();
            foreach (var ((device, bar), address) in _mapped)
                if (device is IIoEventFdProvider provider) list.AddRange(provider.IoEventFds(bar, address));
            return list;
        }
    }

    /// <summary>Brings the bus mappings in line with the BAR registers (after a device's state was restored).</summary>
    public void RefreshBars()
    {
        lock (_lock) SyncBars();
    }

    // Caller holds _lock.
    private void SyncBars()
    {
        if (_ioBus is null || _mmioBus is null) return;
        foreach (var (_, device) in Devices)
        {
            foreach (var bar in device.Bars)
            {
                var key = (device, bar.Index);
                ulong? current = _mapped.TryGetValue(key, out var a) ? a : null;
                ulong? wanted = device.DecodedAddress(bar.Index);
                if (current == wanted) continue;

                var bus = bar.IsMemory ? _mmioBus : _ioBus;
                if (current is { } old)
                {
                    bus.Remove(old);
                    _mapped.Remove(key);
                }
                ulong? now = null;
                if (wanted is { } target)
                {
                    try
                    {
                        bus.Insert(new PciBarWindow(device, bar.Index), target, bar.Size);
                        _mapped[key] = target;
                        now = target;
                    }
                    catch (InvalidOperationException)
                    {
                        // The guest put the BAR over another range: it stays unmapped until reprogrammed.
                    }
                }
                if (now != current) BarObserver?.BarMoved(device, bar.Index, current, now);
            }
        }
    }

    /// <summary>One BAR as a bus device: forwards accesses to its function.</summary>
    private sealed class PciBarWindow(IPciDevice device, int barIndex) : IBusDevice
    {
        public void Read(ulong offset, Span<byte> data) => device.ReadBar(barIndex, offset, data);

        public void Write(ulong offset, ReadOnlySpan<byte> data) => device.WriteBar(barIndex, offset, data);
    }
}
