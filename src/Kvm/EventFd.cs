using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>A Linux eventfd: a counter that wakes a waiter; used for ioeventfd and irqfd.</summary>
public sealed class EventFd : IDisposable
{
    private readonly KvmHandle _handle;

    public EventFd(bool nonBlocking = false)
    {
        int flags = Libc.EFD_CLOEXEC | (nonBlocking ? Libc.EFD_NONBLOCK : 0);
        _handle = new KvmHandle(Errno.Check(Libc.EventFd(0, flags), "eventfd"));
    }

    internal int Fd => _handle.Fd;

    /// <summary>Adds one to the counter, waking a waiter.</summary>
    public unsafe void Signal()
    {
        ulong one = 1;
        // SAFETY: writes 8 bytes from a local; eventfd only ever takes 8-byte writes.
        Libc.Write(Fd, &one, 8);
    }

    /// <summary>Reads and resets the counter; returns 0 if it was zero (non-blocking mode).</summary>
    public unsafe ulong Consume()
    {
        ulong value = 0;
        // SAFETY: reads 8 bytes into a local.
        nint n = Libc.Read(Fd, &value, 8);
        return n == 8 ? value : 0;
    }

    public void Dispose() => _handle.Dispose();

    /// <summary>Blocks until one of the eventfds is readable or the timeout passes; returns the ready indexes.</summary>
    public static unsafe int WaitAny(ReadOnlySpan<EventFd> fds, Span<bool> ready, int timeoutMs)
    {
        var polls = stackalloc Libc.PollFd[fds.Length];
        for (int i = 0; i < fds.Length; i++) polls[i] = new Libc.PollFd { Fd = fds[i].Fd, Events = Libc.POLLIN };
        // SAFETY: polls points to fds.Length initialised entries on this stack frame.
        int n = Libc.Poll(polls, (nuint)fds.Length, timeoutMs);
        if (n < 0) n = 0; // EINTR: report nothing ready; callers loop.
        for (int i = 0; i < fds.Length; i++) ready[i] = (polls[i].REvents & Libc.POLLIN) != 0;
        return n;
    }
}
