namespace Tern.Kvm.Boot.Acpi;

/// <summary>
/// The Firmware ACPI Control Structure a non-HW-reduced FADT points to (global lock, waking
/// vector); all zero here since Tern offers no sleep states to wake from. It has no checksum and
/// must be 64-byte aligned.
/// </summary>
internal static class Facs
{
    public const int Size = 64;
    public const int Alignment = 64;

    public static byte[] Build()
    {
        var w = new ByteWriter(Size);
        w.Ascii("FACS", 4).U32(Size)
            .U32(0) // hardware signature
            .U32(0) // firmware waking vector
            .U32(0) // global lock
            .U32(0) // flags
            .U64(0) // X firmware waking vector
            .U8(2)  // version
            .Zeros(3).U32(0).Zeros(24);
        return w.ToArray();
    }
}
