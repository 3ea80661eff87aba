using System.Runtime.InteropServices;

namespace Tern.Devices.Virtio.Queue;

/// <summary>A split-virtqueue descriptor as the driver lays it out (16 bytes, little-endian).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public struct Descriptor
{
    public const int Size = 16;
    public const ushort FlagNext = 1;
    public const ushort FlagWrite = 2;
    public const ushort FlagIndirect = 4;

    public ulong Address;
    public uint Length;
    public ushort Flags;
    public ushort Next;

    public readonly bool HasNext => (Flags & FlagNext) != 0;
    public readonly bool IsWrite => (Flags & FlagWrite) != 0;
    public readonly bool IsIndirect => (Flags & FlagIndirect) != 0;
}

/// <summary>One buffer of a chain: guest address, length, and whether the device may write it.</summary>
public readonly record struct GuestBuffer(ulong Address, uint Length, bool Writable);
