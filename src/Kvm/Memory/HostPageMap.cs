using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Tern.Kvm.Memory;

/// <summary>
/// Which pages of this process the kernel holds memory for, from /proc/self/pagemap (one 64-bit
/// entry per page: bit 63 present, bit 62 swapped). A private anonymous page that is neither has
/// never been written (or was discarded) and reads as zero, so a caller can skip it without
/// touching it: reading it would fault in a page table entry, and on some hosts that costs more
/// than the read.
/// </summary>
internal sealed class HostPageMap : IDisposable
{
    private const ulong Present = 1UL << 63;
    private const ulong Swapped = 1UL << 62;
    private const int PageSize = 4096;
    private readonly SafeFileHandle _file;

    private HostPageMap(SafeFileHandle file) => _file = file;

    /// <summary>Null where the kernel has no pagemap (then every page counts as backed).</summary>
    public static HostPageMap? TryOpen()
    {
        try
        {
            return new HostPageMap(File.OpenHandle("/proc/self/pagemap", FileMode.Open, FileAccess.Read));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Sets <paramref name="backed"/>[i] for page i from <paramref name="address"/>; false if the map could not be read.</summary>
    public bool TryRead(nint address, Span<bool> backed)
    {
        var entries = ArrayPool<ulong>.Shared.Rent(backed.Length);
        try
        {
            var bytes = MemoryMarshal.AsBytes(entries.AsSpan(0, backed.Length));
            long offset = (long)((ulong)address / PageSize * sizeof(ulong));
            for (int done = 0; done < bytes.Length;)
            {
                int read = RandomAccess.Read(_file, bytes[done..], offset + done);
                if (read <= 0) return false;
                done += read;
            }
            for (int i = 0; i < backed.Length; i++) backed[i] = (entries[i] & (Present | Swapped)) != 0;
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(entries);
        }
    }

    public void Dispose() => _file.Dispose();
}
