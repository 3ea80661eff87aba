namespace Tern.Kvm.Memory;

/// <summary>A guest-physical access outside RAM (a guest or stream supplied a bad address).</summary>
public sealed class GuestMemoryException(ulong address, ulong length)
    : Exception($"guest memory access out of range: 0x{address:x}+0x{length:x}")
{
    public ulong Address { get; } = address;
    public ulong Length { get; } = length;
}
