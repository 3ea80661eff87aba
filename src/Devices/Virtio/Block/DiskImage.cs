using System.Runtime.InteropServices;
using Tern.Devices.Virtio.Queue;
using Tern.Kvm;
using Tern.Kvm.Memory;

namespace Tern.Devices.Virtio.Block;

/// <summary>
/// A raw disk image (file or block device) and the synchronous I/O virtio-blk does on it,
/// straight between the file and guest memory. With O_DIRECT, guest buffers that are not
/// aligned go through an aligned bounce buffer. Used from one I/O thread at a time.
/// </summary>
public sealed unsafe class DiskImage : IDisposable
{
    private const int BounceSize = 256 * 1024;
    private const int BounceAlignment = 4096;

    private readonly HostFile _file;
    private byte* _bounce;

    private DiskImage(HostFile file)
    {
        _file = file;
        Held = new DiskWriteHold(WriteThrough);
    }

    /// <summary>The writes a replication holds until their checkpoint is committed (see <see cref="DiskWriteHold"/>).</summary>
    public DiskWriteHold Held { get; }

    /// <summary>Opens an existing image; throws <see cref="KvmException"/> naming the path when it cannot.</summary>
    public static DiskImage Open(string path, bool readOnly, bool direct) => new(HostFile.Open(path, writable: !readOnly, direct));

    public string Path => _file.Path;
    public bool ReadOnly => !_file.Writable;
    public bool Direct => _file.Direct;
    public long Length => _file.Length;

    /// <summary>Whether the image holds its <see cref="ImageLock"/> (an incoming migration's destination opens it without).</summary>
    public bool Locked { get; private set; }

    /// <summary>Takes the image's lock (write unless read-only); throws <see cref="ImageLockedException"/> when another user's forbids it.</summary>
    public void Lock()
    {
        if (Locked) return;
        ImageLock.Acquire(_file, ImageLock.Taken(writable: !ReadOnly), ImageLock.Shared);
        Locked = true;
    }

    /// <summary>Lets go of the lock (at a migration's switch-over, once flushed) so another process may take it.</summary>
    public void Unlock()
    {
        if (!Locked) return;
        ImageLock.Release(_file);
        Locked = false;
    }

    /// <summary>Reads <paramref name="offset"/>.. into the guest ranges (their total length is a multiple of 512).</summary>
    public void Read(GuestMemory memory, IReadOnlyList<GuestRange> ranges, long offset)
    {
        ReadImage(memory, ranges, offset);
        long total = Total(ranges);
        if (!Held.Holding || !Held.Covers(offset, total)) return;
        // The guest reads its own held writes back.
        var bytes = new byte[total];
        ChainBytes.Gather(memory, ranges, 0, bytes);
        Held.Overlay(bytes, offset);
        ChainBytes.Scatter(memory, ranges, 0, bytes);
    }

    private void ReadImage(GuestMemory memory, IReadOnlyList<GuestRange> ranges, long offset)
    {
        if (!Direct || AllAligned(memory, ranges, offset))
        {
            foreach (var r in ranges)
            {
                var span = memory.WriteSpan(r.Address, r.Length);
                int n = _file.ReadAt(span, offset);
                span[n..].Clear(); // past the end of a file that shrank under us
                offset += r.Length;
            }
            return;
        }
        long total = Total(ranges);
        var bounce = Bounce();
        for (long done = 0; done < total;)
        {
            int chunk = (int)Math.Min(BounceSize, total - done);
            int n = _file.ReadAt(bounce[..chunk], offset + done);
            bounce[n..chunk].Clear();
            ChainBytes.Scatter(memory, ranges, done, bounce[..chunk]);
            done += chunk;
        }
    }

    /// <summary>Writes the guest ranges' bytes at <paramref name="offset"/> (held, while replicated).</summary>
    public void Write(GuestMemory memory, IReadOnlyList<GuestRange> ranges, long offset)
    {
        if (Held.Holding)
        {
            var bytes = new byte[Total(ranges)];
            ChainBytes.Gather(memory, ranges, 0, bytes);
            if (!Held.TryWrite(bytes, offset)) throw new KvmException(105, $"holding more than {DiskWriteHold.MaxHeldBytes >> 20} MiB of writes for the standby"); // ENOBUFS
            return;
        }
        if (!Direct || AllAligned(memory, ranges, offset))
        {
            foreach (var r in ranges)
            {
                _file.WriteAt(memory.ReadSpan(r.Address, r.Length), offset);
                offset += r.Length;
            }
            return;
        }
        long total = Total(ranges);
        var bounce = Bounce();
        for (long done = 0; done < total;)
        {
            int chunk = (int)Math.Min(BounceSize, total - done);
            ChainBytes.Gather(memory, ranges, done, bounce[..chunk]);
            _file.WriteAt(bounce[..chunk], offset + done);
            done += chunk;
        }
    }

    public void Flush() => _file.DataSync();

    /// <summary>Empties the image, every byte zero again (a standby's copy, before its primary refills it).</summary>
    public void Clear() => _file.Clear();

    /// <summary>
    /// Reads the image's own bytes at <paramref name="offset"/> (a multiple of 512) into
    /// <paramref name="into"/> from any thread, held writes left out: a primary copying its disk
    /// to a standby while every guest write is held. Past the end reads as zeros.
    /// </summary>
    public void ReadStored(Span<byte> into, long offset)
    {
        if (!Direct)
        {
            into[_file.ReadAt(into, offset)..].Clear();
            return;
        }
        var aligned = (byte*)NativeMemory.AlignedAlloc((nuint)into.Length, BounceAlignment);
        try
        {
            // SAFETY: aligned points to into.Length bytes allocated above and freed below.
            var span = new Span<byte>(aligned, into.Length);
            int n = _file.ReadAt(span, offset);
            span[..n].CopyTo(into);
            into[n..].Clear();
        }
        finally
        {
            NativeMemory.AlignedFree(aligned);
        }
    }

    /// <summary>
    /// Writes <paramref name="data"/> (a multiple of 512 bytes) at <paramref name="offset"/> from any
    /// thread: held writes as they are released, and a promoted standby's committed ones. With
    /// O_DIRECT it goes through a buffer of its own (the bounce buffer is the I/O thread's).
    /// </summary>
    public void WriteThrough(ReadOnlySpan<byte> data, long offset)
    {
        if (!Direct)
        {
            _file.WriteAt(data, offset);
            return;
        }
        var aligned = (byte*)NativeMemory.AlignedAlloc((nuint)data.Length, BounceAlignment);
        try
        {
            // SAFETY: aligned points to data.Length bytes allocated above and freed below.
            var span = new Span<byte>(aligned, data.Length);
            data.CopyTo(span);
            _file.WriteAt(span, offset);
        }
        finally
        {
            NativeMemory.AlignedFree(aligned);
        }
    }

    private static long Total(IReadOnlyList<GuestRange> ranges)
    {
        long total = 0;
        foreach (var r in ranges) total += r.Length;
        return total;
    }

    /// <summary>O_DIRECT can use guest memory in place only when every address, length and offset is aligned.</summary>
    private static bool AllAligned(GuestMemory memory, IReadOnlyList<GuestRange> ranges, long offset)
    {
        const int a = HostFile.DirectAlignment;
        if (offset % a != 0) return false;
        foreach (var r in ranges)
        {
            if (r.Length % a != 0) return false;
            // Only the host address is looked at here; the read path marks pages dirty when it takes its span.
            var span = memory.ReadSpan(r.Address, r.Length);
            // SAFETY: the pointer is only compared, never dereferenced.
            fixed (byte* p = span)
                if ((nuint)p % a != 0) return false;
        }
        return true;
    }

    private Span<byte> Bounce()
    {
        if (_bounce == null) _bounce = (byte*)NativeMemory.AlignedAlloc(BounceSize, BounceAlignment);
        // SAFETY: _bounce points to BounceSize bytes we own until Dispose; only the I/O thread uses it.
        return new Span<byte>(_bounce, BounceSize);
    }

    public void Dispose()
    {
        _file.Dispose();
        // SAFETY: _bounce came from AlignedAlloc and no span over it outlives a request.
        if (_bounce != null) NativeMemory.AlignedFree(_bounce);
        _bounce = null;
    }
}
