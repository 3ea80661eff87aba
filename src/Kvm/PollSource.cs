using Tern.Kvm.Interop;

namespace Tern.Kvm;

/// <summary>
/// Something an I/O thread can wait on with poll(2): an eventfd or a TAP. The descriptor stays
/// inside this assembly; callers only say which sources to watch and learn which are readable.
/// </summary>
public abstract class PollSource : IDisposable
{
    private protected PollSource() { }

    internal abstract KvmHandle Handle { get; }

    public abstract void Dispose();

    /// <summary>
    /// Blocks until an armed source is readable or the timeout passes; fills <paramref name="ready"/>.
    /// A source whose <paramref name="armed"/> entry is false is not watched (its data waits).
    /// Throws <see cref="ObjectDisposedException"/> if an armed source is disposed.
    /// </summary>
    public static unsafe int WaitAny(ReadOnlySpan<PollSource> sources, ReadOnlySpan<bool> armed, Span<bool> ready, int timeoutMs)
    {
        var polls = stackalloc Libc.PollFd[sources.Length];
        int held = 0; // sources[0..held) have had AddRef: each armed fd stays open, its number its own, while poll waits on it
        try
        {
            for (; held < sources.Length; held++)
                polls[held] = new Libc.PollFd { Fd = armed[held] ? sources[held].Handle.AddRef() : -1, Events = Libc.POLLIN };
            // SAFETY: polls points to sources.Length initialised entries on this stack frame; a negative fd is skipped by poll.
            int n = Libc.Poll(polls, (nuint)sources.Length, timeoutMs);
            if (n < 0) n = 0; // EINTR: report nothing ready; callers loop.
            for (int i = 0; i < sources.Length; i++) ready[i] = (polls[i].REvents & (Libc.POLLIN | Libc.POLLERR | Libc.POLLHUP)) != 0;
            return n;
        }
        finally
        {
            for (int i = 0; i < held; i++)
                if (armed[i]) sources[i].Handle.Release();
        }
    }
}
