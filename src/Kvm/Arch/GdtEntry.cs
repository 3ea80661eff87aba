using Tern.Kvm.Interop;

namespace Tern.Kvm.Arch;

/// <summary>An x86 segment descriptor: its 8-byte GDT encoding and the kvm_segment KVM wants for it.</summary>
public readonly record struct GdtEntry(ushort Flags, uint Base, uint Limit)
{
    // Flags = access byte in bits 0-7, G/DB/L/AVL nibble in bits 12-15 (as the GDT lays them out).
    public static readonly GdtEntry Null = new(0, 0, 0);
    public static readonly GdtEntry Code64 = new(0xa09b, 0, 0xfffff);
    public static readonly GdtEntry Code32 = new(0xc09b, 0, 0xfffff);
    public static readonly GdtEntry Data = new(0xc093, 0, 0xfffff);
    public static readonly GdtEntry Tss = new(0x808b, 0, 0xfffff);

    public ulong Encode() =>
        ((ulong)(Base & 0xff00_0000) << 32) | ((ulong)(Base & 0x00ff_ffff) << 16) | (Limit & 0xffff)
        | ((ulong)(Limit & 0xf_0000) << 32) | ((ulong)(Flags & 0xf0ff) << 40);

    public kvm_segment ToSegment(ushort selector)
    {
        bool granular = ((Flags >> 15) & 1) != 0;
        byte present = (byte)((Flags >> 7) & 1);
        return new kvm_segment
        {
            @base = Base,
            limit = granular ? (Limit << 12) | 0xfff : Limit,
            selector = selector,
            type = (byte)(Flags & 0xf),
            present = present,
            dpl = (byte)((Flags >> 5) & 3),
            db = (byte)((Flags >> 14) & 1),
            s = (byte)((Flags >> 4) & 1),
            l = (byte)((Flags >> 13) & 1),
            g = (byte)(granular ? 1 : 0),
            unusable = (byte)(present == 0 ? 1 : 0),
        };
    }
}
