using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

internal static partial class Libc
{
    /// <summary>realpath(3) with a NULL buffer: the result is malloc'd and must be given to <see cref="Free"/>.</summary>
    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint RealPath(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    public static partial void Free(nint pointer);
}
