using Tern.Kvm;

namespace Tern.Devices;

/// <summary>
/// A dedicated OS thread (not the thread pool) that polls a set of sources and runs each ready
/// one's handler. Eventfds (KVM ioeventfds: virtio queue kicks) have their counter drained before
/// the handler runs, so block and network work never runs on a vCPU thread. Other sources (a TAP)
/// are watched only while their <c>armed</c> predicate, evaluated before every wait, says so: that
/// is how a device stops reading when it has nowhere to put the data. A handler that throws is
/// reported through <see cref="HandlerFailed"/> and the loop goes on.
/// </summary>
public sealed class IoThread : IDisposable
{
    private readonly string _name;
    private readonly EventFd _control = new(nonBlocking: true); // wakes the loop to stop or re-read registrations
    private readonly Lock _lock = new();
    private readonly List<Registration> _registrations = [];
    private Thread? _thread;
    private volatile bool _stopping;
    private bool _disposed;

    private sealed record Registration(PollSource Source, Action Handler, Func<bool>? Armed);

    public IoThread(string name = "tern-io") => _name = name;

    /// <summary>Called (on the I/O thread) with any exception a handler let escape.</summary>
    public event Action<Exception>? HandlerFailed;

    public bool IsRunning => _thread is { IsAlive: true };

    /// <summary>Runs <paramref name="handler"/> on this thread whenever <paramref name="fd"/> is signalled.</summary>
    public void Register(EventFd fd, Action handler) => Add(new Registration(fd, handler, null));

    /// <summary>
    /// Runs <paramref name="handler"/> whenever <paramref name="source"/> is readable and
    /// <paramref name="armed"/> returns true; the handler reads the source itself.
    /// </summary>
    public void Register(PollSource source, Action handler, Func<bool> armed) => Add(new Registration(source, handler, armed));

    private void Add(Registration registration)
    {
        lock (_lock) _registrations.Add(registration);
        _control.Signal();
    }

    public void Unregister(PollSource source)
    {
        lock (_lock) _registrations.RemoveAll(r => r.Source == source);
        _control.Signal();
    }

    /// <summary>Makes the loop re-evaluate the armed predicates (call after one changed off the I/O thread).</summary>
    public void Wake() => _control.Signal();

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
        PollSource[] sources = Sources(snapshot);
        var armed = new bool[sources.Length];
        var ready = new bool[sources.Length];
        while (!_stopping)
        {
            armed[0] = true;
            for (int i = 1; i < sources.Length; i++) armed[i] = snapshot[i - 1].Armed?.Invoke() ?? true;
            PollSource.WaitAny(sources, armed, ready, timeoutMs: -1);
            for (int i = 1; i < sources.Length; i++)
            {
                if (!ready[i]) continue;
                var r = snapshot[i - 1];
                if (r.Source is EventFd fd && r.Armed is null) fd.Consume();
                try
                {
                    r.Handler();
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
                sources = Sources(snapshot);
                armed = new bool[sources.Length];
                ready = new bool[sources.Length];
            }
        }
    }

    private PollSource[] Sources(Registration[] snapshot) => [_control, .. snapshot.Select(r => r.Source)];

    private Registration[] Snapshot()
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
