using System.Buffers.Binary;
using Tern.Devices.Bus;

namespace Tern.Devices.Tests.Legacy;

/// <summary>in/out of 8, 16 and 32 bits through IBusDevice, as a vCPU's port exit arrives.</summary>
internal static class PortIo
{
    public static byte In8(this IBusDevice device, ulong offset)
    {
        Span<byte> data = stackalloc byte[1];
        device.Read(offset, data);
        return data[0];
    }

    public static ushort In16(this IBusDevice device, ulong offset)
    {
        Span<byte> data = stackalloc byte[2];
        device.Read(offset, data);
        return BinaryPrimitives.ReadUInt16LittleEndian(data);
    }

    public static uint In32(this IBusDevice device, ulong offset)
    {
        Span<byte> data = stackalloc byte[4];
        device.Read(offset, data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    public static void Out8(this IBusDevice device, ulong offset, byte value) => device.Write(offset, [value]);

    public static void Out16(this IBusDevice device, ulong offset, ushort value)
    {
        Span<byte> data = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(data, value);
        device.Write(offset, data);
    }

    public static void Out32(this IBusDevice device, ulong offset, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        device.Write(offset, data);
    }
}
