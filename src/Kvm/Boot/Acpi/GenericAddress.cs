namespace Tern.Kvm.Boot.Acpi;

/// <summary>ACPI's Generic Address Structure (12 bytes): where a register lives and how wide it is.</summary>
internal static class GenericAddress
{
    public const byte SystemMemory = 0;
    public const byte SystemIo = 1;

    public enum Access : byte { Undefined = 0, Byte = 1, Word = 2, DWord = 3, QWord = 4 }

    public static ByteWriter Gas(this ByteWriter w, byte space, int bitWidth, Access access, ulong address) =>
        w.U8(space).U8((byte)bitWidth).U8(0).U8((byte)access).U64(address);

    /// <summary>An I/O-port register block of <paramref name="length"/> bytes.</summary>
    public static ByteWriter IoGas(this ByteWriter w, ushort port, int length, Access access) =>
        w.Gas(SystemIo, length * 8, access, port);

    public static ByteWriter NoGas(this ByteWriter w) => w.Zeros(12);
}
