using System.Buffers.Binary;

namespace Tern.Bench.Snapshot;

/// <summary>
/// The guest RAM actually in use at the save: the 4 KiB pages that are not all zero. Read from
/// Tern's snapshot file, whose RAM image holds guest RAM byte for byte (SnapshotFormat.cs: RAM from
/// offset 2 MiB, its length at header offset 32), so it counts the guest's own pages, the soak region
/// and the test kernel's few others, whatever the file system allocated for them.
/// </summary>
public static class GuestPagesInUse
{
    private const int PageSize = 4096, Chunk = 1 << 20;
    private const long RamOffset = 2 << 20, RamBytesAt = 32;

    public static long Bytes(string ternSnapshot)
    {
        using var file = File.OpenHandle(ternSnapshot);
        var header = new byte[8];
        RandomAccess.Read(file, header, RamBytesAt);
        long ram = (long)BinaryPrimitives.ReadUInt64LittleEndian(header);
        var buffer = new byte[Chunk];
        long pages = 0;
        for (long done = 0; done < ram; done += Chunk)
        {
            int n = (int)Math.Min(Chunk, ram - done);
            if (RandomAccess.Read(file, buffer.AsSpan(0, n), RamOffset + done) != n) throw new IOException($"{ternSnapshot}: short read at {RamOffset + done}");
            for (int at = 0; at < n; at += PageSize)
                if (buffer.AsSpan(at, Math.Min(PageSize, n - at)).IndexOfAnyExcept((byte)0) >= 0) pages++;
        }
        return pages * PageSize;
    }
}
