using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>A Linux eventfd: a counter that wakes a waiter; used for ioeventfd and irqfd.</summary>
public sealed class EventFd : PollSource
{
    private readonly KvmHandle _handle;

    public EventFd(bool nonBlocking = false)
    {
        int flags = Libc.EFD_CLOEXEC | (nonBlocking ? Libc.EFD_NONBLOCK : 0);
        _handle = new KvmHandle(Errno.Check(Libc.EventFd(0, flags), "eventfd"));
    }

    internal override KvmHandle Handle => _handle;

    /// <summary>Adds one to the counter, waking a waiter.</summary>
    public unsafe void Signal()
    {
        ulong one = 1;
        using var fd = _handle.Borrow();
        // SAFETY: writes 8 bytes from a local; eventfd only ever takes 8-byte writes.
        Libc.Write(fd.Number, &one, 8);
    }

    /// <summary>Reads and resets the counter; returns 0 if it was zero (non-blocking mode).</summary>
    public unsafe ulong Consume()
    {
        ulong value = 0;
        using var fd = _handle.Borrow();
        // SAFETY: reads 8 bytes into a local.
        nint n = Libc.Read(fd.Number, &value, 8);
        return n == 8 ? value : 0;
    }

    public override void Dispose() => _handle.Dispose();
}
