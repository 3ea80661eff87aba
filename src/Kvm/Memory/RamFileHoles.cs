using System.Runtime.InteropServices;
using Tern.Kvm.Interop;

namespace Tern.Kvm.Memory;

/// <summary>
/// Which pages of a RAM file hold memory, from lseek's SEEK_DATA and SEEK_HOLE. A page of a
/// memfd or tmpfs file that was never written is a hole and reads as zero; but reading it
/// through a shared mapping allocates and clears a page (shmem maps no shared zero page, unlike
/// private anonymous memory), so a migration that scans a shared guest's never-touched RAM would
/// otherwise back all of it at the host's fresh-memory rate. The answer is the file's, not this
/// process's page tables', so it holds for pages another process (a migration peer) wrote.
/// </summary>
internal static class RamFileHoles
{
    private const long PageSize = 4096;

    /// <summary>
    /// Sets <paramref name="backed"/>[i] for the page at <paramref name="offset"/> + i pages of
    /// <paramref name="file"/>; false when the file system cannot tell (then treat all as backed).
    /// </summary>
    public static bool TryRead(RamBackingFile file, long offset, Span<bool> backed)
    {
        // hugetlbfs answers SEEK_DATA as if the whole file were data: true, but no use, so skip the calls.
        if (file.IsHugetlbfs) return false;
        backed.Clear();
        using var fd = file.Borrow();
        long end = offset + backed.Length * PageSize;
        for (long at = offset; at < end;)
        {
            long data = Libc.LSeek(fd.Number, at, Libc.SEEK_DATA);
            if (data < 0) return Marshal.GetLastPInvokeError() == Errno.ENXIO; // ENXIO: no data past here
            if (data >= end) return true;
            long hole = Libc.LSeek(fd.Number, data, Libc.SEEK_HOLE);
            if (hole < 0) return false;
            long first = (data - offset) / PageSize;
            long last = Math.Min((hole - offset + PageSize - 1) / PageSize, backed.Length);
            backed[(int)first..(int)last].Fill(true);
            at = hole;
        }
        return true;
    }
}
