namespace Tern.Kvm.Net;

/// <summary>A TAP device could not be opened or configured; <see cref="Errno"/> says why (EPERM/EACCES: no permission).</summary>
public sealed class TapException(int errno, string message) : Exception(message)
{
    public int Errno { get; } = errno;

    /// <summary>The caller lacks CAP_NET_ADMIN, or the TAP belongs to another user.</summary>
    public bool IsPermissionDenied => Errno is 1 /* EPERM */ or 13 /* EACCES */;
}
