using Tern.Devices.Interrupts;
using Tern.Devices.Pci;
using Tern.Devices.Virtio.Queue;
using Tern.Kvm;
using Tern.Kvm.Memory;

namespace Tern.Devices.Virtio.Pci;

/// <summary>
/// The modern (virtio 1.x only) PCI transport: device ID 0x1040 + type, revision 1, one 64-bit
/// memory BAR holding the common, ISR, device and notify structures and the MSI-X table and PBA.
/// Each queue has its own doorbell address and eventfd; a doorbell write that reaches this class
/// (no ioeventfd registered) just signals that eventfd. The queue work itself runs on the I/O
/// thread through <see cref="ProcessQueue"/>. Driver mistakes set DEVICE_NEEDS_RESET, never throw.
/// </summary>
public sealed partial class VirtioPciDevice : PciFunction, IIoEventFdProvider, IDisposable
{
    public const ushort VendorVirtio = 0x1af4;
    public const ushort DeviceIdBase = 0x1040;
    public const ushort NoVector = 0xffff;

    private readonly IVirtioDevice _device;
    private readonly GuestMemory _memory;
    private readonly MsixVectors _msix;
    private readonly IInterruptLine? _intx;
    private readonly EventFd[] _queueEvents;
    private readonly VirtioQueueRegisters[] _queues;
    private readonly ushort[] _queueVectors; // read by the I/O thread without the lock
    private readonly int _pciCfgCap;
    private readonly Lock _lock = new();
    private readonly Notifier _notifier;
    private SplitQueue?[] _activeQueues = [];
    private int _isr;

    public VirtioPciDevice(string name, IVirtioDevice device, GuestMemory memory, IMsiSink msi, IInterruptLine? intx = null)
        : base(name, PciConfigSpace.CreateType0(VendorVirtio, (ushort)(DeviceIdBase + device.DeviceType),
            VirtioPciLayout.ClassCode(device.DeviceType), revision: 1, VendorVirtio, (ushort)(DeviceIdBase + device.DeviceType),
            PciRegisters.InterruptPinA))
    {
        if (device.QueueCount is < 1 or > VirtioPciLayout.MaxQueues)
            throw new ArgumentOutOfRangeException(nameof(device), $"a virtio-pci device has 1..{VirtioPciLayout.MaxQueues} queues");
        if (device.ConfigSize > VirtioPciLayout.RegionSize)
            throw new ArgumentOutOfRangeException(nameof(device), "device configuration larger than its BAR page");
        _device = device;
        _memory = memory;
        _intx = intx;
        _notifier = new Notifier(this);
        _queueEvents = new EventFd[device.QueueCount];
        _queues = new VirtioQueueRegisters[device.QueueCount];
        _queueVectors = new ushort[device.QueueCount];
        for (int q = 0; q < device.QueueCount; q++)
        {
            _queueEvents[q] = new EventFd(nonBlocking: true);
            _queues[q] = new VirtioQueueRegisters(device.MaxQueueSize);
            _queueVectors[q] = NoVector;
        }

        DeclareBar(new PciBarDefinition(VirtioPciLayout.BarIndex, PciBarKind.Memory64, VirtioPciLayout.BarSize));
        _msix = new MsixVectors(device.QueueCount + 1, msi);
        _msix.AddCapability(Config, VirtioPciLayout.BarIndex, VirtioPciLayout.MsixTableOffset, VirtioPciLayout.MsixPbaOffset);
        _pciCfgCap = VirtioPciLayout.AddCapabilities(Config, device.QueueCount, device.ConfigSize);
    }

    public IVirtioDevice Device => _device;
    public MsixVectors Msix => _msix;

    /// <summary>One eventfd per queue: the I/O thread waits on them, KVM ioeventfds signal them.</summary>
    public IReadOnlyList<EventFd> QueueEvents => _queueEvents;

    /// <summary>Why the device set DEVICE_NEEDS_RESET, for the log; null while it is healthy.</summary>
    public string? BrokenReason { get; private set; }

    /// <summary>The doorbell of queue <paramref name="queueIndex"/> relative to the BAR.</summary>
    public static ulong NotifyOffset(int queueIndex) => VirtioPciLayout.NotifyOffset + (ulong)queueIndex * VirtioPciLayout.NotifyOffMultiplier;

    public IReadOnlyList<IoEventFdBinding> IoEventFds(int barIndex, ulong barAddress)
    {
        if (barIndex != VirtioPciLayout.BarIndex) return [];
        // Drivers write the 16-bit queue index to the doorbell (no VIRTIO_F_NOTIFICATION_DATA).
        return _queueEvents.Select((fd, q) => new IoEventFdBinding(barAddress + NotifyOffset(q), 2, fd)).ToArray();
    }

    /// <summary>Runs the device's work for a kicked queue; the I/O thread calls this.</summary>
    public void ProcessQueue(int queueIndex)
    {
        if (_activated && !_needsReset) _device.ProcessQueue(queueIndex);
    }

    public override void ReadBar(int barIndex, ulong offset, Span<byte> data)
    {
        data.Clear();
        if (barIndex != VirtioPciLayout.BarIndex || offset >= VirtioPciLayout.BarSize) return;
        int region = (int)offset & ~(VirtioPciLayout.RegionSize - 1);
        int within = (int)offset & (VirtioPciLayout.RegionSize - 1);
        switch (region)
        {
            case VirtioPciLayout.CommonOffset:
                lock (_lock) ReadCommon(within, data);
                break;
            case VirtioPciLayout.IsrOffset:
                if (within == 0 && data.Length > 0) data[0] = (byte)Interlocked.Exchange(ref _isr, 0); // read clears
                break;
            case VirtioPciLayout.DeviceConfigOffset:
                _device.ReadConfig(within, data);
                break;
            case VirtioPciLayout.MsixTableOffset:
                _msix.ReadTable((ulong)within, data);
                break;
            case VirtioPciLayout.MsixPbaOffset:
                _msix.ReadPba((ulong)within, data);
                break;
        }
    }

    public override void WriteBar(int barIndex, ulong offset, ReadOnlySpan<byte> data)
    {
        if (barIndex != VirtioPciLayout.BarIndex || offset >= VirtioPciLayout.BarSize) return;
        int region = (int)offset & ~(VirtioPciLayout.RegionSize - 1);
        int within = (int)offset & (VirtioPciLayout.RegionSize - 1);
        switch (region)
        {
            case VirtioPciLayout.CommonOffset:
                lock (_lock) WriteCommon(within, data);
                break;
            case VirtioPciLayout.DeviceConfigOffset:
                _device.WriteConfig(within, data);
                break;
            case VirtioPciLayout.NotifyOffset:
                int queue = within / (int)VirtioPciLayout.NotifyOffMultiplier;
                if (queue < _queueEvents.Length) _queueEvents[queue].Signal();
                break;
            case VirtioPciLayout.MsixTableOffset:
                _msix.WriteTable((ulong)within, data);
                break;
        }
    }

    public override void ReadConfig(int offset, Span<byte> data)
    {
        base.ReadConfig(offset, data);
        int window = _pciCfgCap + VirtioPciLayout.PciCfgData;
        if (offset >= window + 4 || offset + data.Length <= window) return;
        Span<byte> value = stackalloc byte[4];
        value.Clear();
        if (PciCfgWindow() is { } access) ReadBar(VirtioPciLayout.BarIndex, access.Offset, value[..access.Length]);
        for (int i = 0; i < data.Length; i++)
            if (offset + i >= window && offset + i < window + 4) data[i] = value[offset + i - window];
    }

    protected override void OnConfigWritten(int offset, int length)
    {
        _msix.ConfigWritten(Config, offset, length);
        int window = _pciCfgCap + VirtioPciLayout.PciCfgData;
        if (offset >= window + 4 || offset + length <= window) return;
        if (PciCfgWindow() is { } access)
        {
            Span<byte> value = stackalloc byte[4];
            Config.Read(window, value);
            WriteBar(VirtioPciLayout.BarIndex, access.Offset, value[..access.Length]);
        }
    }

    /// <summary>The BAR access the VIRTIO_PCI_CAP_PCI_CFG window describes, if it is a valid one.</summary>
    private (ulong Offset, int Length)? PciCfgWindow()
    {
        byte bar = Config.ReadU8(_pciCfgCap + VirtioPciLayout.PciCfgBar);
        uint offset = Config.ReadU32(_pciCfgCap + VirtioPciLayout.PciCfgOffset);
        uint length = Config.ReadU32(_pciCfgCap + VirtioPciLayout.PciCfgLength);
        if (bar != VirtioPciLayout.BarIndex || length is not (1 or 2 or 4) || offset % length != 0 || offset + length > VirtioPciLayout.BarSize) return null;
        return (offset, (int)length);
    }

    private void SignalQueue(int queueIndex)
    {
        if (_msix.Enabled)
        {
            ushort vector = Volatile.Read(ref _queueVectors[queueIndex]);
            if (vector != NoVector) _msix.Notify(vector);
            return;
        }
        Interlocked.Or(ref _isr, 1);
        _intx?.Trigger();
    }

    private void SignalConfigChange()
    {
        if (_msix.Enabled)
        {
            ushort vector = _msixConfigVector;
            if (vector != NoVector) _msix.Notify(vector);
            return;
        }
        Interlocked.Or(ref _isr, 2);
        _intx?.Trigger();
    }

    /// <summary>The device (or a queue the driver programmed) is unusable until the driver resets it.</summary>
    private void MarkNeedsReset(string reason)
    {
        if (_needsReset) return;
        BrokenReason = reason;
        _needsReset = true;
        if ((Volatile.Read(ref _status) & VirtioStatus.DriverOk) != 0) SignalConfigChange();
    }

    public void Dispose()
    {
        foreach (var fd in _queueEvents) fd.Dispose();
    }

    /// <summary>The device's way back in; kept off the public surface of the transport.</summary>
    private sealed class Notifier(VirtioPciDevice transport) : IVirtioNotifier
    {
        public void UsedBuffers(int queueIndex)
        {
            if ((uint)queueIndex < (uint)transport._queueVectors.Length) transport.SignalQueue(queueIndex);
        }

        public void DeviceBroken(string reason) => transport.MarkNeedsReset(reason);

        public void Kick(int queueIndex)
        {
            if ((uint)queueIndex < (uint)transport._queueEvents.Length) transport._queueEvents[queueIndex].Signal();
        }
    }
}
