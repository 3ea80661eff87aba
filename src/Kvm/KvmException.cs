using System.Runtime.InteropServices;

namespace Tern.Kvm;

/// <summary>A failed KVM or libc call: the errno and the call's name.</summary>
public sealed class KvmException(int errno, string call)
    : Exception($"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
{
    public int Errno { get; } = errno;
    public string Call { get; } = call;
}
