using System.Runtime.InteropServices;
using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>
/// A host file or block device opened for positioned I/O, optionally with O_DIRECT (which .NET's
/// FileOptions cannot ask for on Linux). With <see cref="Direct"/>, buffers, offsets and lengths
/// must be aligned to <see cref="DirectAlignment"/>; callers bounce unaligned data themselves.
/// </summary>
public sealed partial class HostFile : IDisposable
{
    /// <summary>The alignment O_DIRECT transfers use here (the logical block size of common disks).</summary>
    public const int DirectAlignment = 512;

    private readonly KvmHandle _handle;

    private HostFile(KvmHandle handle, string path, bool writable, bool direct, long length)
    {
        _handle = handle;
        Path = path;
        Writable = writable;
        Direct = direct;
        Length = length;
    }

    public string Path { get; }
    public bool Writable { get; }
    public bool Direct { get; }

    /// <summary>The size in bytes when opened (lseek to the end, so block devices report theirs too).</summary>
    public long Length { get; }

    /// <summary>Opens an existing file; throws <see cref="KvmException"/> naming the path on failure.</summary>
    public static HostFile Open(string path, bool writable, bool direct)
    {
        int flags = (writable ? Libc.O_RDWR : Libc.O_RDONLY) | Libc.O_CLOEXEC | (direct ? Libc.O_DIRECT : 0);
        int fd = Libc.Open(path, flags, 0);
        if (fd < 0) throw new KvmException(Marshal.GetLastPInvokeError(), $"open {path}");
        var handle = new KvmHandle(fd);
        long length = Libc.LSeek(fd, 0, Libc.SEEK_END);
        if (length < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new KvmException(errno, $"lseek {path}");
        }
        return new HostFile(handle, path, writable, direct, length);
    }

    /// <summary>Reads until the buffer is full or the file ends; returns the bytes read.</summary>
    public unsafe int ReadAt(Span<byte> buffer, long offset)
    {
        fixed (byte* p = buffer)
            // SAFETY: p points to buffer.Length pinned bytes for the whole call.
            return Transfer(p, buffer.Length, offset, write: false);
    }

    /// <summary>Writes the whole buffer at <paramref name="offset"/>.</summary>
    public unsafe void WriteAt(ReadOnlySpan<byte> buffer, long offset)
    {
        fixed (byte* p = buffer)
            // SAFETY: p points to buffer.Length pinned bytes for the whole call; pwrite only reads them.
            Transfer(p, buffer.Length, offset, write: true);
    }

    /// <summary>pread/pwrite until done, retrying EINTR and short transfers; a read stops at end of file.</summary>
    private unsafe int Transfer(byte* p, int length, long offset, bool write)
    {
        using var fd = _handle.Borrow();
        int done = 0;
        while (done < length)
        {
            // SAFETY: callers pass `length` pinned bytes at p, and done < length.
            nint n = write
                ? Libc.PWrite(fd.Number, p + done, (nuint)(length - done), offset + done)
                : Libc.PRead(fd.Number, p + done, (nuint)(length - done), offset + done);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR) continue;
                throw new KvmException(errno, $"{(write ? "pwrite" : "pread")} {Path}");
            }
            if (n == 0)
            {
                if (write) throw new KvmException(28 /* ENOSPC */, $"pwrite {Path}");
                break;
            }
            done += (int)n;
        }
        return done;
    }

    /// <summary>fdatasync: the data written so far reaches stable storage.</summary>
    public void DataSync()
    {
        using var fd = _handle.Borrow();
        while (Libc.FDataSync(fd.Number) < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR) throw new KvmException(errno, $"fdatasync {Path}");
        }
    }

    /// <summary>
    /// Empties a regular file and sizes it back to <see cref="Length"/>: every byte reads as zero,
    /// and a sparse file keeps no block (a standby's disk copy, refilled from its primary).
    /// </summary>
    public void Clear()
    {
        using var fd = _handle.Borrow();
        if (Libc.FTruncate(fd.Number, 0) < 0 || Libc.FTruncate(fd.Number, Length) < 0)
            throw new KvmException(Marshal.GetLastPInvokeError(), $"ftruncate {Path} (a disk copy must be a regular file)");
    }

    public void Dispose() => _handle.Dispose();
}
