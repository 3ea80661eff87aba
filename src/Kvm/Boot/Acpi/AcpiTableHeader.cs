namespace Tern.Kvm.Boot.Acpi;

/// <summary>The 36-byte header every ACPI system description table starts with, and its checksum.</summary>
internal static class AcpiTableHeader
{
    public const int Size = 36;
    public const int LengthOffset = 4;
    public const int ChecksumOffset = 9;
    public const string OemId = "TERN";
    public const string CreatorId = "TERN";

    /// <summary>Starts a table: the header with length and checksum left to <see cref="Finish"/>.</summary>
    public static ByteWriter Begin(string signature, byte revision, int capacity = 256)
    {
        var w = new ByteWriter(capacity);
        w.Ascii(signature, 4).U32(0).U8(revision).U8(0)
            .Ascii(OemId, 6).Ascii("TERN" + signature, 8).U32(1)
            .Ascii(CreatorId, 4).U32(1);
        return w;
    }

    /// <summary>Sets the length and checksum and returns the table's bytes.</summary>
    public static byte[] Finish(ByteWriter w)
    {
        w.PatchU32(LengthOffset, (uint)w.Length);
        Checksum.Fill(w.Written, ChecksumOffset);
        return w.ToArray();
    }
}
