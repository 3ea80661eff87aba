using Akka.Actor;
using static Tern.Actors.Vm.VmProtocol;

namespace Tern.Actors.Vm;

/// <summary>
/// Who hears from a VM: the subscribers its events go to (watched, and forgotten when they stop)
/// and those waiting for its end, each told once. The VmActor and a VM process's proxy in its
/// node answer Subscribe, Unsubscribe and WatchExit alike through one of these.
/// </summary>
internal sealed class VmAudience(IActorContext context)
{
    private readonly HashSet<IActorRef> _subscribers = [];
    private readonly List<IActorRef> _exitWatchers = [];

    /// <summary>How the VM ended, once it has.</summary>
    public VmExited? Exited { get; private set; }

    public void Subscribe(IActorRef subscriber)
    {
        if (_subscribers.Add(subscriber)) context.Watch(subscriber);
    }

    public void Unsubscribe(IActorRef subscriber)
    {
        if (_subscribers.Remove(subscriber)) context.Unwatch(subscriber);
    }

    /// <summary>A watched subscriber stopped.</summary>
    public void Forget(IActorRef subscriber) => _subscribers.Remove(subscriber);

    /// <summary>Tells <paramref name="watcher"/> how the VM ended, now if it has, else once it does.</summary>
    public void WatchExit(IActorRef watcher)
    {
        if (Exited is not null) watcher.Tell(Exited, context.Self);
        else _exitWatchers.Add(watcher);
    }

    public void Publish(object e)
    {
        foreach (var s in _subscribers) s.Tell(e, context.Self);
    }

    /// <summary>Records the end and tells every waiter; a second end is ignored (the first one stands).</summary>
    public void Exit(VmExited exited)
    {
        if (Exited is not null) return;
        Exited = exited;
        foreach (var w in _exitWatchers) w.Tell(exited, context.Self);
        _exitWatchers.Clear();
    }
}
