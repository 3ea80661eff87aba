using System.Runtime.InteropServices;

namespace Tern.Kvm;

/// <summary>
/// A path the kernel would not describe for a reason other than its absence (EACCES, ELOOP, ...).
/// The message is the errno's text alone: callers name the path in their own words.
/// </summary>
public sealed class HostPathException(int errno, string path) : IOException(Marshal.GetPInvokeErrorMessage(errno))
{
    public int Errno { get; } = errno;
    public string Path { get; } = path;
}
