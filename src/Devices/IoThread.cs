using Tern.Kvm;

namespace Tern.Devices;

/// <summary>
/// A dedicated OS thread (not the thread pool) that waits on a set of eventfds and runs each
/// ready one's handler after draining its counter. Virtio queue work runs here, woken by KVM
/// ioeventfds, so block I/O never runs on a vCPU thread. A handler that throws is reported
/// through <see cref="HandlerFailed"/> and the loop goes on.
/// </summary>
public sealed class IoThread : IDisposable
{
    private readonly string _name;
    private readonly EventFd _control = new(nonBlocking: true); // wakes the loop to stop or re-read registrations
    private readonly Lock _lock = new();
    private readonly List<(EventFd Fd, Action Handler)> _registrations = [];
    private Thread? _thread;
    private volatile bool _stopping;
    private bool _disposed;

    public IoThread(string name = "tern-io") => _name = name;

    /// <summary>Called (on the I/O thread) with any exception a handler let escape.</summary>
    public event Action<Exception>? HandlerFailed;

    public bool IsRunning => _thread is { IsAlive: true };

    /// <summary>Runs <paramref name="handler"/> on this thread whenever <paramref name="fd"/> is signalled.</summary>
    public void Register(EventFd fd, Action handler)
    {
        lock (_lock) _registrations.Add((fd, handler));
        _control.Signal();
    }

    public void Unregister(EventFd fd)
    {
        lock (_lock) _registrations.RemoveAll(r => r.Fd == fd);
        _control.Signal();
    }

    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_thread is not null) throw new InvalidOperationException($"{_name} already started");
        _thread = new Thread(Run) { Name = _name, IsBackground = true };
        _thread.Start();
    }

    /// <summary>Stops the loop after the handler under way returns, and waits for the thread to end.</summary>
    public void Stop()
    {
        if (_thread is null) return;
        _stopping = true;
        _control.Signal();
        if (Thread.CurrentThread != _thread) _thread.Join();
        _thread = null;
        _stopping = false;
    }

    private void Run()
    {
        var snapshot = Snapshot();
        EventFd[] fds = [_control, .. snapshot.Select(r => r.Fd)];
        var ready = new bool[fds.Length];
        while (!_stopping)
        {
            EventFd.WaitAny(fds, ready, timeoutMs: -1);
            for (int i = 1; i < fds.Length; i++)
            {
                if (!ready[i]) continue;
                fds[i].Consume();
                try
                {
                    snapshot[i - 1].Handler();
                }
                catch (Exception e)
                {
                    if (HandlerFailed is { } report) report(e);
                    else Console.Error.WriteLine($"{_name}: handler failed: {e}");
                }
            }
            if (ready[0])
            {
                _control.Consume();
                snapshot = Snapshot();
                fds = [_control, .. snapshot.Select(r => r.Fd)];
                ready = new bool[fds.Length];
            }
        }
    }

    private (EventFd Fd, Action Handler)[] Snapshot()
    {
        lock (_lock) return _registrations.ToArray();
    }

    public void Dispose()
    {
        if (_disposed) return;
        Stop();
        _control.Dispose();
        _disposed = true;
    }
}
