using Tern.Devices.Pci;
using Tern.Devices.Virtio.Queue;

namespace Tern.Devices.Virtio.Pci;

/// <summary>Saving and restoring the transport (the device behind it must be paused meanwhile).</summary>
public sealed partial class VirtioPciDevice
{
    private const int KnownStatusBits = VirtioStatus.Acknowledge | VirtioStatus.Driver | VirtioStatus.DriverOk | VirtioStatus.FeaturesOk | VirtioStatus.Failed;

    public VirtioPciState Save()
    {
        lock (_lock)
        {
            var queues = _queues.Select((q, i) => new VirtioQueueRegistersState(q.Size, q.Ready, q.DescTable, q.AvailRing, q.UsedRing, _queueVectors[i])).ToArray();
            var rings = _activated ? _activeQueues.Select(q => q?.Save()).ToArray() : [];
            return new VirtioPciState(VirtioPciState.CurrentVersion, Config.Snapshot(), _msix.Save(), (byte)_status, _needsReset,
                _driverFeatures, _deviceFeatureSelect, _driverFeatureSelect, _queueSelect, _msixConfigVector, _configGeneration,
                (byte)Volatile.Read(ref _isr), queues, rings);
        }
    }

    /// <summary>
    /// Restores saved state after checking all of it; throws <see cref="DeviceStateException"/>
    /// and leaves the device reset when the state does not fit this device or guest memory.
    /// The PCI root must then re-map BARs (<see cref="PciRoot.RefreshBars"/>).
    /// </summary>
    public void Restore(VirtioPciState state)
    {
        lock (_lock)
        {
            ResetDevice();
            var rings = Validate(state);
            Config.Restore(state.PciConfig);
            _msix.Restore(state.Msix);
            _msix.ConfigWritten(Config, 0, PciConfigSpace.Size);
            for (int i = 0; i < _queues.Length; i++)
            {
                var s = state.Queues[i];
                var q = _queues[i];
                (q.Size, q.Ready, q.DescTable, q.AvailRing, q.UsedRing) = (s.Size, s.Ready, s.DescTable, s.AvailRing, s.UsedRing);
                _queueVectors[i] = s.MsixVector;
            }
            _driverFeatures = state.DriverFeatures;
            _deviceFeatureSelect = state.DeviceFeatureSelect;
            _driverFeatureSelect = state.DriverFeatureSelect;
            _queueSelect = state.QueueSelect;
            _msixConfigVector = state.MsixConfigVector;
            _configGeneration = state.ConfigGeneration;
            _isr = state.Isr & 3;
            _needsReset = state.NeedsReset;
            Volatile.Write(ref _status, state.Status);
            if (rings is not null) StartDevice(rings);
        }
    }

    private SplitQueue?[]? Validate(VirtioPciState s)
    {
        if (s.Version != VirtioPciState.CurrentVersion) throw new DeviceStateException($"virtio-pci state version {s.Version} is not supported");
        if (s.Queues.Count != _queues.Length) throw new DeviceStateException($"virtio-pci state has {s.Queues.Count} queues, device '{Name}' has {_queues.Length}");
        if ((s.Status & ~KnownStatusBits) != 0) throw new DeviceStateException($"virtio-pci status 0x{s.Status:x2} has unknown bits");
        if ((s.DriverFeatures & ~_device.OfferedFeatures) != 0) throw new DeviceStateException($"virtio-pci driver features 0x{s.DriverFeatures:x} include some not offered");
        if (s.MsixConfigVector != NoVector && s.MsixConfigVector >= _msix.Count) throw new DeviceStateException($"virtio-pci config vector {s.MsixConfigVector} out of range");

        for (int i = 0; i < s.Queues.Count; i++)
        {
            var q = s.Queues[i] ?? throw new DeviceStateException($"virtio-pci state has no registers for queue {i}");
            if (q.MsixVector != NoVector && q.MsixVector >= _msix.Count) throw new DeviceStateException($"queue {i} vector {q.MsixVector} out of range");
            if (q.Ready && SplitQueue.Check(_memory, q.Size, _device.MaxQueueSize, q.DescTable, q.AvailRing, q.UsedRing) is { } error)
                throw new DeviceStateException($"queue {i}: {error}");
        }

        bool running = (s.Status & VirtioStatus.DriverOk) != 0 && !s.NeedsReset;
        if (!running) return null;
        if ((s.Status & VirtioStatus.FeaturesOk) == 0 || (s.DriverFeatures & VirtioFeatures.Version1) == 0)
            throw new DeviceStateException("virtio-pci state is DRIVER_OK without accepted VERSION_1 features");
        if (s.Rings.Count != _queues.Length) throw new DeviceStateException($"virtio-pci state has {s.Rings.Count} rings for {_queues.Length} queues");

        var queues = new SplitQueue?[_queues.Length];
        for (int i = 0; i < queues.Length; i++)
        {
            var regs = s.Queues[i];
            var ring = s.Rings[i];
            if (!regs.Ready)
            {
                if (ring is not null) throw new DeviceStateException($"queue {i} has a ring but is not enabled");
                continue;
            }
            if (ring is null) throw new DeviceStateException($"queue {i} is enabled but has no ring state");
            if (ring.Size != regs.Size || ring.DescTable != regs.DescTable || ring.AvailRing != regs.AvailRing || ring.UsedRing != regs.UsedRing)
                throw new DeviceStateException($"queue {i} ring state disagrees with its registers");
            if (ring.EventIdx != ((s.DriverFeatures & VirtioFeatures.RingEventIdx) != 0) || ring.IndirectDesc != ((s.DriverFeatures & VirtioFeatures.IndirectDesc) != 0))
                throw new DeviceStateException($"queue {i} ring features disagree with the driver's");
            try
            {
                queues[i] = SplitQueue.Restore(ring, _memory, _device.MaxQueueSize);
            }
            catch (VirtqueueException e)
            {
                throw new DeviceStateException($"queue {i}: {e.Message}");
            }
        }
        return queues;
    }
}
