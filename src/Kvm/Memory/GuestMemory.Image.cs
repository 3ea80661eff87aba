using Microsoft.Win32.SafeHandles;
using Tern.Kvm.Interop;

namespace Tern.Kvm.Memory;

/// <summary>Guest RAM from an image of it in a file: a snapshot's RAM, regions back to back, holes reading zero.</summary>
public sealed partial class GuestMemory
{
    /// <summary>
    /// Whether an image can stand in for this RAM by a copy-on-write mapping: RAM is private
    /// anonymous memory that the host backs as the guest touches it. Preallocated, hugetlbfs and
    /// shared RAM read the image in instead (<see cref="LoadImage"/>).
    /// </summary>
    public bool MapsImageCopyOnWrite => !_backing.Shared && _backing.Path is null && !_backing.Prealloc;

    /// <summary>
    /// Makes this RAM the image at <paramref name="offset"/> in <paramref name="file"/>, which must
    /// hold all of it. Mapped copy-on-write (time independent of RAM size; pages come from the page
    /// cache when first touched) when <see cref="MapsImageCopyOnWrite"/>, else read in now, data
    /// extents only (holes are zero in fresh RAM). Call before the guest runs, on RAM nothing has written.
    /// </summary>
    public void LoadImage(SafeFileHandle file, long offset)
    {
        bool added = false;
        file.DangerousAddRef(ref added);
        try
        {
            int fd = (int)file.DangerousGetHandle();
            foreach (var r in _regions)
            {
                long at = checked(offset + r.FileOffset);
                if (MapsImageCopyOnWrite) r.MapImage(fd, at, _backing);
                else ReadImage(fd, r, at);
            }
            // A page this process never touched now holds the file's bytes, not zero.
            if (MapsImageCopyOnWrite) _unbackedReadsZero = false;
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    /// <summary>Reads the region's part of the image, skipping its holes (SEEK_DATA / SEEK_HOLE).</summary>
    private static unsafe void ReadImage(int fd, GuestRegion region, long start)
    {
        long end = start + (long)region.Size;
        for (long at = start; at < end;)
        {
            long data = Libc.LSeek(fd, at, Libc.SEEK_DATA);
            if (data < 0)
            {
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno == Errno.ENXIO) return; // no data past here: the rest is a hole
                throw new KvmException(errno, "lseek SEEK_DATA in the snapshot");
            }
            if (data >= end) return;
            long hole = Libc.LSeek(fd, data, Libc.SEEK_HOLE);
            if (hole < 0) throw new KvmException(System.Runtime.InteropServices.Marshal.GetLastPInvokeError(), "lseek SEEK_HOLE in the snapshot");
            hole = Math.Min(hole, end);
            for (long p = data; p < hole;)
            {
                nint n = Libc.PRead(fd, (void*)(region.Host + (nint)(p - start)), (nuint)Math.Min(hole - p, 1L << 30), p);
                if (n <= 0) throw new KvmException(n < 0 ? System.Runtime.InteropServices.Marshal.GetLastPInvokeError() : Errno.EIO, "reading guest RAM from the snapshot");
                p += n;
            }
            at = hole;
        }
    }
}
