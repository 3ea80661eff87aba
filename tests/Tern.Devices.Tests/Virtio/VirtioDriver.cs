using Tern.Devices.Virtio;

namespace Tern.Devices.Tests.Virtio;

/// <summary>
/// A guest virtio-pci driver reduced to register accesses: BAR-relative reads and writes go
/// through the delegates (straight to the device, or through the MMIO bus at the BAR address).
/// </summary>
internal sealed class VirtioDriver(Func<ulong, int, ulong> read, Action<ulong, int, ulong> write)
{
    public const ulong Common = 0x0000, Isr = 0x1000, DeviceConfig = 0x2000, Notify = 0x3000;

    public static VirtioDriver Direct(Tern.Devices.Pci.IPciDevice device) => new(
        (offset, size) =>
        {
            var b = new byte[8];
            device.ReadBar(0, offset, b.AsSpan(0, size));
            return BitConverter.ToUInt64(b);
        },
        (offset, size, value) => device.WriteBar(0, offset, BitConverter.GetBytes(value).AsSpan(0, size)));

    public ulong Read(ulong offset, int size) => read(offset, size);
    public void Write(ulong offset, int size, ulong value) => write(offset, size, value);

    public byte Status
    {
        get => (byte)read(Common + 0x14, 1);
        set => write(Common + 0x14, 1, value);
    }

    public ulong DeviceFeatures
    {
        get
        {
            write(Common + 0x00, 4, 0);
            ulong low = read(Common + 0x04, 4);
            write(Common + 0x00, 4, 1);
            return low | (read(Common + 0x04, 4) << 32);
        }
    }

    public void WriteDriverFeatures(ulong features)
    {
        write(Common + 0x08, 4, 0);
        write(Common + 0x0c, 4, (uint)features);
        write(Common + 0x08, 4, 1);
        write(Common + 0x0c, 4, features >> 32);
    }

    /// <summary>ACKNOWLEDGE, DRIVER, features, FEATURES_OK; returns whether the device kept FEATURES_OK.</summary>
    public bool Negotiate(ulong features)
    {
        Status = 0;
        Status = VirtioStatus.Acknowledge;
        Status = VirtioStatus.Acknowledge | VirtioStatus.Driver;
        WriteDriverFeatures(features);
        Status = VirtioStatus.Acknowledge | VirtioStatus.Driver | VirtioStatus.FeaturesOk;
        return (Status & VirtioStatus.FeaturesOk) != 0;
    }

    public void SelectQueue(int q) => write(Common + 0x16, 2, (ulong)q);
    public ushort QueueSize { get => (ushort)read(Common + 0x18, 2); set => write(Common + 0x18, 2, value); }
    public ushort QueueVector { get => (ushort)read(Common + 0x1a, 2); set => write(Common + 0x1a, 2, value); }
    public ushort ConfigVector { get => (ushort)read(Common + 0x10, 2); set => write(Common + 0x10, 2, value); }
    public bool QueueEnabled => read(Common + 0x1c, 2) == 1;
    public ushort NumQueues => (ushort)read(Common + 0x12, 2);

    public void SetupQueue(int q, DriverQueue dq, ushort vector = 0xffff)
    {
        SelectQueue(q);
        QueueSize = dq.Size;
        QueueVector = vector;
        write(Common + 0x20, 4, (uint)dq.Desc);
        write(Common + 0x24, 4, dq.Desc >> 32);
        write(Common + 0x28, 8, dq.Avail); // a 64-bit write is split by the device
        write(Common + 0x30, 4, (uint)dq.Used);
        write(Common + 0x34, 4, dq.Used >> 32);
        write(Common + 0x1c, 2, 1);
    }

    public void DriverOk() => Status = (byte)(Status | VirtioStatus.DriverOk);

    public void Kick(int q) => write(Notify + 4UL * (ulong)q, 2, (ulong)q);
}
