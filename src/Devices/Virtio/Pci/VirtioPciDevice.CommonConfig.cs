using System.Buffers.Binary;
using Tern.Devices.Virtio.Queue;

namespace Tern.Devices.Virtio.Pci;

/// <summary>
/// The common configuration structure (virtio 1.2, 4.1.4.3) and the device status state machine.
/// Callers hold <c>_lock</c>. Reads may use any width (bytes are taken from the fields they
/// overlap); writes must hit one field with its own width (a 64-bit write to a 64-bit field is
/// split), anything else is ignored.
/// </summary>
public sealed partial class VirtioPciDevice
{
    private const int DeviceFeatureSelect = 0x00, DeviceFeature = 0x04, DriverFeatureSelect = 0x08, DriverFeature = 0x0c;
    private const int MsixConfig = 0x10, NumQueues = 0x12, DeviceStatus = 0x14, ConfigGeneration = 0x15;
    private const int QueueSelect = 0x16, QueueSize = 0x18, QueueMsixVector = 0x1a, QueueEnable = 0x1c, QueueNotifyOff = 0x1e;
    private const int QueueDescLo = 0x20, QueueDescHi = 0x24, QueueDriverLo = 0x28, QueueDriverHi = 0x2c, QueueDeviceLo = 0x30, QueueDeviceHi = 0x34;

    private uint _deviceFeatureSelect;
    private uint _driverFeatureSelect;
    private ulong _driverFeatures;
    private ushort _queueSelect;
    private volatile ushort _msixConfigVector = NoVector;
    private int _status;
    private byte _configGeneration;
    private volatile bool _activated;
    private volatile bool _needsReset;

    /// <summary>The status the driver reads: what it wrote, plus DEVICE_NEEDS_RESET when set.</summary>
    public byte Status => (byte)(Volatile.Read(ref _status) | (_needsReset ? VirtioStatus.DeviceNeedsReset : 0));

    /// <summary>The features the driver accepted (meaningful once FEATURES_OK is set).</summary>
    public ulong DriverFeatures { get { lock (_lock) return _driverFeatures; } }

    public bool IsActivated => _activated;

    private static (int Start, int Width)? FieldAt(int offset) => offset switch
    {
        < 0 => null,
        < MsixConfig => (offset & ~3, 4),
        < DeviceStatus => (offset & ~1, 2),
        < QueueSelect => (offset, 1),
        < QueueDescLo => (offset & ~1, 2),
        < VirtioPciLayout.CommonLength => (offset & ~3, 4),
        _ => null,
    };

    private void ReadCommon(int offset, Span<byte> data)
    {
        for (int i = 0; i < data.Length; i++)
        {
            if (FieldAt(offset + i) is not { } field) continue;
            data[i] = (byte)(ReadField(field.Start) >> (8 * (offset + i - field.Start)));
        }
    }

    private void WriteCommon(int offset, ReadOnlySpan<byte> data)
    {
        if (data.Length == 8 && offset is QueueDescLo or QueueDriverLo or QueueDeviceLo)
        {
            WriteField(offset, BinaryPrimitives.ReadUInt32LittleEndian(data));
            WriteField(offset + 4, BinaryPrimitives.ReadUInt32LittleEndian(data[4..]));
            return;
        }
        if (FieldAt(offset) is not { } field || field.Start != offset || field.Width != data.Length) return;
        uint value = data.Length switch
        {
            1 => data[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(data),
            _ => BinaryPrimitives.ReadUInt32LittleEndian(data),
        };
        WriteField(offset, value);
    }

    private VirtioQueueRegisters? SelectedQueue => _queueSelect < _queues.Length ? _queues[_queueSelect] : null;

    private uint ReadField(int start)
    {
        var q = SelectedQueue;
        return start switch
        {
            DeviceFeatureSelect => _deviceFeatureSelect,
            DeviceFeature => _deviceFeatureSelect switch
            {
                0 => (uint)_device.OfferedFeatures,
                1 => (uint)(_device.OfferedFeatures >> 32),
                _ => 0,
            },
            DriverFeatureSelect => _driverFeatureSelect,
            DriverFeature => _driverFeatureSelect switch
            {
                0 => (uint)_driverFeatures,
                1 => (uint)(_driverFeatures >> 32),
                _ => 0,
            },
            MsixConfig => _msixConfigVector,
            NumQueues => (uint)_queues.Length,
            DeviceStatus => Status,
            ConfigGeneration => _configGeneration,
            QueueSelect => _queueSelect,
            QueueSize => q?.Size ?? 0,
            QueueMsixVector => q is null ? NoVector : _queueVectors[_queueSelect],
            QueueEnable => q?.Ready == true ? 1u : 0u,
            QueueNotifyOff => q is null ? 0u : _queueSelect,
            QueueDescLo => (uint)(q?.DescTable ?? 0),
            QueueDescHi => (uint)((q?.DescTable ?? 0) >> 32),
            QueueDriverLo => (uint)(q?.AvailRing ?? 0),
            QueueDriverHi => (uint)((q?.AvailRing ?? 0) >> 32),
            QueueDeviceLo => (uint)(q?.UsedRing ?? 0),
            QueueDeviceHi => (uint)((q?.UsedRing ?? 0) >> 32),
            _ => 0,
        };
    }

    private void WriteField(int start, uint value)
    {
        switch (start)
        {
            case DeviceFeatureSelect: _deviceFeatureSelect = value; return;
            case DriverFeatureSelect: _driverFeatureSelect = value; return;
            case DriverFeature:
                if ((_status & VirtioStatus.FeaturesOk) != 0) return; // fixed once accepted
                if (_driverFeatureSelect == 0) _driverFeatures = (_driverFeatures & 0xffff_ffff_0000_0000) | value;
                else if (_driverFeatureSelect == 1) _driverFeatures = (_driverFeatures & 0xffff_ffff) | ((ulong)value << 32);
                return;
            case MsixConfig: _msixConfigVector = MapVector(value); return;
            case DeviceStatus: WriteStatus((byte)value); return;
            case QueueSelect: _queueSelect = (ushort)value; return;
        }

        if (SelectedQueue is not { } q) return;
        if (start == QueueMsixVector)
        {
            Volatile.Write(ref _queueVectors[_queueSelect], MapVector(value));
            return;
        }
        // The layout is frozen once the queue is enabled or the driver is running.
        if (q.Ready || (_status & VirtioStatus.DriverOk) != 0) return;
        switch (start)
        {
            case QueueSize: q.Size = (ushort)value; break;
            case QueueEnable: if (value == 1) EnableQueue(_queueSelect, q); break;
            case QueueDescLo: q.DescTable = (q.DescTable & 0xffff_ffff_0000_0000) | value; break;
            case QueueDescHi: q.DescTable = (q.DescTable & 0xffff_ffff) | ((ulong)value << 32); break;
            case QueueDriverLo: q.AvailRing = (q.AvailRing & 0xffff_ffff_0000_0000) | value; break;
            case QueueDriverHi: q.AvailRing = (q.AvailRing & 0xffff_ffff) | ((ulong)value << 32); break;
            case QueueDeviceLo: q.UsedRing = (q.UsedRing & 0xffff_ffff_0000_0000) | value; break;
            case QueueDeviceHi: q.UsedRing = (q.UsedRing & 0xffff_ffff) | ((ulong)value << 32); break;
        }
    }

    /// <summary>A vector the table does not have reads back as NO_VECTOR, telling the driver it failed.</summary>
    private ushort MapVector(uint value) => value < (uint)_msix.Count ? (ushort)value : NoVector;

    private void EnableQueue(int index, VirtioQueueRegisters q)
    {
        if (SplitQueue.Check(_memory, q.Size, _device.MaxQueueSize, q.DescTable, q.AvailRing, q.UsedRing) is { } error)
        {
            MarkNeedsReset($"queue {index}: {error}");
            return;
        }
        q.Ready = true;
    }

    /// <summary>
    /// The status state machine: 0 resets; bits otherwise only accumulate. FEATURES_OK sticks
    /// only if the driver accepted VERSION_1 and nothing that was not offered; DRIVER_OK needs
    /// FEATURES_OK and starts the device.
    /// </summary>
    private void WriteStatus(byte value)
    {
        if (value == 0)
        {
            ResetDevice();
            return;
        }
        int old = _status;
        int next = value & ~VirtioStatus.DeviceNeedsReset;
        if ((old & ~next) != 0) return; // a driver never clears bits except by reset

        bool featuresOkNow = (next & VirtioStatus.FeaturesOk) != 0 && (old & VirtioStatus.FeaturesOk) == 0;
        if (featuresOkNow && !FeaturesAcceptable()) next &= ~VirtioStatus.FeaturesOk;

        bool driverOkNow = (next & VirtioStatus.DriverOk) != 0 && (old & VirtioStatus.DriverOk) == 0;
        if (driverOkNow && (next & VirtioStatus.FeaturesOk) == 0) next &= ~VirtioStatus.DriverOk;
        Volatile.Write(ref _status, next);

        if (driverOkNow && (next & VirtioStatus.DriverOk) != 0 && !_needsReset) Activate();
    }

    private bool FeaturesAcceptable() =>
        (_driverFeatures & VirtioFeatures.Version1) != 0 && (_driverFeatures & ~_device.OfferedFeatures) == 0;

    private void Activate()
    {
        bool eventIdx = (_driverFeatures & VirtioFeatures.RingEventIdx) != 0;
        bool indirect = (_driverFeatures & VirtioFeatures.IndirectDesc) != 0;
        var queues = new SplitQueue?[_queues.Length];
        for (int i = 0; i < _queues.Length; i++)
        {
            var q = _queues[i];
            if (!q.Ready) continue;
            try
            {
                queues[i] = new SplitQueue(_memory, q.Size, q.DescTable, q.AvailRing, q.UsedRing, eventIdx, indirect);
            }
            catch (VirtqueueException e)
            {
                MarkNeedsReset($"queue {i}: {e.Message}");
                return;
            }
        }
        StartDevice(queues);
    }

    private void StartDevice(SplitQueue?[] queues)
    {
        _activeQueues = queues;
        _device.Activate(new VirtioDeviceContext(_memory, _driverFeatures, queues, _notifier));
        _activated = true;
        // Pick up anything the driver queued (and kicked) before the device was running.
        for (int i = 0; i < queues.Length; i++)
            if (queues[i] is not null) _queueEvents[i].Signal();
    }

    /// <summary>Back to the state after power-on: the device stopped, every register at its initial value.</summary>
    private void ResetDevice()
    {
        _activated = false;
        _device.Reset(); // waits for queue work under way on the I/O thread
        _activeQueues = [];
        for (int i = 0; i < _queues.Length; i++)
        {
            _queues[i].Reset(_device.MaxQueueSize);
            Volatile.Write(ref _queueVectors[i], NoVector);
        }
        _deviceFeatureSelect = _driverFeatureSelect = 0;
        _driverFeatures = 0;
        _queueSelect = 0;
        _msixConfigVector = NoVector;
        Interlocked.Exchange(ref _isr, 0);
        _needsReset = false;
        BrokenReason = null;
        Volatile.Write(ref _status, 0);
    }
}
