using Microsoft.Win32.SafeHandles;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Boot;

/// <summary>
/// A kernel or initrd opened for loading. Reads go straight from the file into guest memory, and
/// every I/O failure becomes a <see cref="BootException"/> naming the file.
/// </summary>
internal sealed class BootFile : IDisposable
{
    // Guest memory spans are int-sized; big segments are copied in pieces of this size.
    private const int CopyChunk = 64 << 20;

    private readonly SafeFileHandle _handle;

    private BootFile(SafeFileHandle handle, string role, string path, ulong length)
    {
        _handle = handle;
        Role = role;
        Path = path;
        Length = length;
    }

    /// <summary>"kernel" or "initrd": how messages name the file.</summary>
    public string Role { get; }
    public string Path { get; }
    public ulong Length { get; }

    public static BootFile Open(string path, string role)
    {
        SafeFileHandle? handle = null;
        try
        {
            if (Directory.Exists(path)) throw new BootException($"cannot read {role} {path}: it is a directory");
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            return new BootFile(handle, role, path, (ulong)RandomAccess.GetLength(handle));
        }
        catch (Exception e) when (IsIoFailure(e))
        {
            handle?.Dispose();
            throw new BootException($"cannot read {role} {path}: {Reason(e)}");
        }
    }

    /// <summary>Reads exactly <paramref name="destination"/>.Length bytes at <paramref name="offset"/>.</summary>
    public void Read(ulong offset, Span<byte> destination)
    {
        if (!Contains(offset, (ulong)destination.Length))
            throw new BootException($"{Role} {Path} is truncated: needs bytes 0x{offset:x}+0x{destination.Length:x} of a 0x{Length:x}-byte file");
        try
        {
            while (destination.Length > 0)
            {
                int read = RandomAccess.Read(_handle, destination, (long)offset);
                if (read <= 0) throw new BootException($"{Role} {Path} shrank while being read");
                destination = destination[read..];
                offset += (ulong)read;
            }
        }
        catch (Exception e) when (IsIoFailure(e))
        {
            throw new BootException($"cannot read {Role} {Path}: {Reason(e)}");
        }
    }

    public byte[] Read(ulong offset, int length)
    {
        var buffer = new byte[length];
        Read(offset, buffer);
        return buffer;
    }

    /// <summary>Copies file bytes into guest RAM; the caller has checked the guest range.</summary>
    public void CopyToGuest(GuestMemory memory, ulong guestAddress, ulong fileOffset, ulong length)
    {
        if (!Contains(fileOffset, length))
            throw new BootException($"{Role} {Path} is truncated: needs bytes 0x{fileOffset:x}+0x{length:x} of a 0x{Length:x}-byte file");
        for (ulong done = 0; done < length;)
        {
            int chunk = (int)Math.Min(length - done, CopyChunk);
            Read(fileOffset + done, memory.WriteSpan(guestAddress + done, chunk));
            done += (ulong)chunk;
        }
    }

    public bool Contains(ulong offset, ulong length) => length <= Length && offset <= Length - length;

    /// <summary>Zeroes guest RAM (a segment's bss); the caller has checked the range.</summary>
    public static void ZeroGuest(GuestMemory memory, ulong guestAddress, ulong length)
    {
        for (ulong done = 0; done < length;)
        {
            int chunk = (int)Math.Min(length - done, CopyChunk);
            memory.WriteSpan(guestAddress + done, chunk).Clear();
            done += (ulong)chunk;
        }
    }

    private static bool IsIoFailure(Exception e) =>
        e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException;

    private static string Reason(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };

    public void Dispose() => _handle.Dispose();
}
