using System.Buffers.Binary;
using Tern.Actors.Migration.Engine.Wire;

namespace Tern.Actors.Migration.Engine.Snapshot;

/// <summary>
/// The Tern snapshot file, format version 1: a VM saved by <c>migrate</c> to <c>file:PATH</c>
/// (<see cref="SnapshotSaver"/>) and restored by <c>-incoming file:PATH</c> (<see cref="SnapshotLoader"/>).
/// Made for a restore whose time does not grow with RAM: guest RAM sits in the file exactly as
/// it sits in memory, so the restoring process maps it copy-on-write and the guest's pages come
/// in as it touches them. Every integer is little-endian; every byte is untrusted when read.
/// <code>
/// offset              what
/// 0                   Header (64 bytes, below); the rest of the first 2 MiB is a hole
/// RamOffset (2 MiB)   guest RAM: each RAM region in address order, back to back, byte for byte
///                     (region k at RamOffset + the sizes of regions 0..k-1). A page never written,
///                     or zero when last written, is a hole in a sparse file: it reads zero
/// StateOffset         the machine state: a migration stream (<see cref="MigrationStreamFormat"/>)
///                     of Header, Config (the configuration fingerprint), State sections (every
///                     vCPU, device and KVM component, "vm/run", "vm/console" when kept), End
/// StateOffset + StateBytes   end of file
/// </code>
/// <para><b>Header</b> (64 bytes at offset 0)</para>
/// <code>
/// 0  magic "TERN-SNP" (8 ASCII bytes)    32 RamBytes u64: guest RAM in all
/// 8  format version u32 = 1              40 StateOffset u64 = RamOffset + RamBytes
/// 12 header bytes u32 = 64               48 StateBytes u64 (at most 80 MiB)
/// 16 page size u32 = 4096                56 StateCrc u32: CRC32C of the state bytes
/// 20 reserved u32 = 0                    60 HeaderCrc u32: CRC32C of bytes 0..59
/// 24 RamOffset u64 = 2 MiB
/// </code>
/// <para><b>Writing</b>. A save writes a new file beside the target (same directory, a name of its
/// own, so a VM still mapping the old snapshot keeps its pages), first with a zero header; RAM
/// pages go to their places round after round (a page written again lands on the same bytes, a
/// page that turned zero is punched out), then the state; the data is synced, the header written
/// and synced, and the file renamed over the target. A save that fails or is canceled removes
/// its file. A crash before the rename leaves the target as it was.</para>
/// <para><b>Reader's checks</b>, in order, each refusing the file with one line: the file is at
/// least a header long; magic; version; header bytes, page size and reserved as above; HeaderCrc;
/// RamOffset as above; RamBytes equal to the configuration's guest RAM; StateOffset as above;
/// StateBytes within its limit; the file exactly StateOffset + StateBytes long (truncated or
/// extended); StateCrc; then the embedded stream with every check of <see cref="MigrationStreamReader"/>,
/// holding nothing but Config, State and End; the fingerprint against this VM's configuration,
/// naming each difference, as a live migration does; each component's state as the machine restores
/// it. RAM is not checksummed: restore maps it without reading it. A file changed in its RAM part
/// after it was written is not detected, and a file truncated or rewritten in place while a VM
/// restored from it runs is that VM's memory changing under it (Tern's own saves replace a file by
/// renaming, which leaves a running clone's pages alone).</para>
/// </summary>
public static class SnapshotFormat
{
    /// <summary>"TERN-SNP".</summary>
    public static ReadOnlySpan<byte> Magic => "TERN-SNP"u8;
    public const uint FormatVersion = 1;
    public const int HeaderBytes = 64;
    public const int PageSize = 4096;
    /// <summary>Guest RAM starts 2 MiB in: aligned for any page size a file system maps in.</summary>
    public const long RamOffset = 2 << 20;
    public const long MaxStateBytes = 80L << 20;

    /// <summary>The header as written: everything the layout fixes, and the checksums.</summary>
    public static byte[] EncodeHeader(ulong ramBytes, ulong stateBytes, uint stateCrc)
    {
        var h = new byte[HeaderBytes];
        Magic.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(12), HeaderBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(16), PageSize);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(24), (ulong)RamOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(32), ramBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(40), (ulong)RamOffset + ramBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(h.AsSpan(48), stateBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(56), stateCrc);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(60), Crc32C.Compute(h.AsSpan(0, 60)));
        return h;
    }

    /// <summary>
    /// Checks a header read from a file of <paramref name="fileBytes"/> bytes whose guest RAM must
    /// be <paramref name="ramBytes"/>; returns where the state lies and its checksum, or throws
    /// <see cref="SnapshotException"/> naming the first fault.
    /// </summary>
    public static (long StateOffset, long StateBytes, uint StateCrc) DecodeHeader(ReadOnlySpan<byte> h, long fileBytes, ulong ramBytes)
    {
        if (h.Length < HeaderBytes || fileBytes < HeaderBytes) throw new SnapshotException($"the file is {fileBytes} bytes, shorter than a snapshot header");
        if (!h[..8].SequenceEqual(Magic))
            throw new SnapshotException(h[..8].IndexOfAnyExcept((byte)0) < 0
                ? "it is not a complete snapshot (no header: the save did not finish)"
                : $"it is not a Tern snapshot (magic 0x{Convert.ToHexString(h[..8])}, expected TERN-SNP)");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
        if (version != FormatVersion) throw new SnapshotException($"snapshot format version {version} unsupported (this Tern reads {FormatVersion})");
        uint headerBytes = BinaryPrimitives.ReadUInt32LittleEndian(h[12..]);
        uint pageSize = BinaryPrimitives.ReadUInt32LittleEndian(h[16..]);
        uint reserved = BinaryPrimitives.ReadUInt32LittleEndian(h[20..]);
        if (headerBytes != HeaderBytes || pageSize != PageSize || reserved != 0)
            throw new SnapshotException($"snapshot header fields are wrong (header {headerBytes} bytes, page {pageSize}, reserved {reserved})");
        uint headerCrc = BinaryPrimitives.ReadUInt32LittleEndian(h[60..]);
        if (headerCrc != Crc32C.Compute(h[..60]))
            throw new SnapshotException("the snapshot header's checksum does not match: the file was changed or damaged");
        ulong ramOffset = BinaryPrimitives.ReadUInt64LittleEndian(h[24..]);
        ulong ram = BinaryPrimitives.ReadUInt64LittleEndian(h[32..]);
        ulong stateOffset = BinaryPrimitives.ReadUInt64LittleEndian(h[40..]);
        ulong stateBytes = BinaryPrimitives.ReadUInt64LittleEndian(h[48..]);
        if (ramOffset != (ulong)RamOffset) throw new SnapshotException($"guest RAM at offset {ramOffset} in the snapshot, expected {RamOffset}");
        if (ram != ramBytes)
            throw new SnapshotException($"the snapshot holds {ram} bytes ({ram >> 20} MiB) of guest RAM, this VM has {ramBytes} bytes ({ramBytes >> 20} MiB)");
        if (stateOffset != ramOffset + ram) throw new SnapshotException($"the state at offset {stateOffset} in the snapshot, expected {ramOffset + ram}");
        if (stateBytes is 0 or > MaxStateBytes) throw new SnapshotException($"a state of {stateBytes} bytes is outside 1..{MaxStateBytes}");
        ulong expected = stateOffset + stateBytes;
        if ((ulong)fileBytes != expected)
            throw new SnapshotException((ulong)fileBytes < expected
                ? $"the snapshot is truncated: {fileBytes} bytes, its header says {expected}"
                : $"the snapshot is {fileBytes} bytes, its header says {expected}: something was appended");
        return ((long)stateOffset, (long)stateBytes, BinaryPrimitives.ReadUInt32LittleEndian(h[56..]));
    }
}

/// <summary>A snapshot file that cannot be written or restored, with a one-line reason.</summary>
public sealed class SnapshotException(string message, Exception? inner = null) : Exception(message, inner);
