using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;

using static Tern.Actors.Migration.MigrationProtocol;
using static Tern.Actors.Vm.Process.VmChannelMessages;
using static Tern.Actors.Vm.VmProtocol;

namespace Tern.Actors.Vm.Process;

/// <summary>
/// The VM process's end of the VM channel (protocol: <see cref="VmChannelCodec"/>): it listens on
/// the channel socket, serves one node connection at a time (a new one replaces the old: a node
/// that restarted), passes the node's requests to the VM and the answers back, sends every event
/// the VM publishes and the console output, and asks the node to approve a migration's commit.
///
/// A VM must not outlive its node for long: the cluster restarts the VMs of a host it has lost
/// elsewhere (Cluster.Host.OrphanVmWindow has the timing). When no node has greeted it for
/// <paramref name="nodeGoneAfter"/> since its node went away (<see cref="FirstGreetingWait"/> at the
/// start, when no guest runs yet), or the node vanished while it counted down to fencing itself
/// (<see cref="FenceCountdown"/>) and that countdown ran out first, the server quits the VM (its
/// guest ends; the process exits) and greets no node after that. With fencing by lease it also
/// quits when the lease deadline its node last gave (<see cref="LeaseDeadline"/>) passes.
/// </summary>
public sealed class VmChannelServer : ReceiveActor, IWithTimers
{
    /// <summary>Console output is read from the ring and sent this often while a node is connected.</summary>
    public static readonly TimeSpan ConsoleInterval = TimeSpan.FromMilliseconds(50);
    private const int ConsoleChunkBytes = 64 * 1024;
    /// <summary>
    /// How long a new VM process waits for its first node before it quits. No guest runs until a
    /// node has greeted it and asked it to boot, so waiting longer than node-gone-after risks no
    /// second copy; it spares the VM when the whole machine stalls for seconds just after the start.
    /// </summary>
    public static readonly TimeSpan FirstGreetingWait = TimeSpan.FromSeconds(30);

    /// <summary>Boot builds the machine and a migration connects first: answers may take a while.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromMinutes(2);

    private readonly IActorRef _vm;
    private readonly ConsoleRing _console;
    private readonly Socket _listener;
    private readonly VmHello _hello;
    private readonly TimeSpan _nodeGoneAfter;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private VmChannelConnection? _node;
    /// <summary>The connected node has said NodeHello: it drives the VM, and the node-gone countdown is off.</summary>
    private bool _greeted;
    private DateTime? _fenceBy;
    /// <summary>The host's lease deadline (Environment.TickCount64), once its node has given one.</summary>
    private long? _leaseUntil;
    private bool _quitting;
    /// <summary>No node has greeted this process yet (so no guest runs).</summary>
    private bool _waitingForFirstNode;
    private long _consoleSent;
    private long _nextId;
    private readonly Dictionary<long, IActorRef> _commitAskers = [];

    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record Accepted(Socket Socket);
    private sealed record Answer(VmChannelConnection Connection, long Id, object Body);
    private sealed record PumpConsole;
    private sealed record NodeGone;
    private sealed record LeaseCheck;

    /// <param name="listener">A unix stream socket, bound and listening; the server owns it from now on.</param>
    /// <param name="whenFenced">
    /// Called as fencing quits the VM: the VM process arms its exit deadline there
    /// (<c>HostProcess.ExitNowAfter</c>); null (a test host) does nothing beyond the quit.
    /// </param>
    public static Props Props(IActorRef vm, ConsoleRing console, Socket listener, VmHello hello, TimeSpan nodeGoneAfter, Action? whenFenced = null) =>
        Akka.Actor.Props.Create(() => new VmChannelServer(vm, console, listener, hello, nodeGoneAfter, whenFenced));

    public VmChannelServer(IActorRef vm, ConsoleRing console, Socket listener, VmHello hello, TimeSpan nodeGoneAfter, Action? whenFenced = null)
    {
        _whenFenced = whenFenced;
        _vm = vm;
        _console = console;
        _listener = listener;
        _hello = hello;
        _nodeGoneAfter = nodeGoneAfter;

        Receive<Accepted>(OnAccepted);
        Receive<VmChannelConnection.Received>(r => r.Connection == _node, r => OnFrame(r.Frame));
        Receive<VmChannelConnection.Received>(_ => { }); // from a connection already replaced
        Receive<VmChannelConnection.Closed>(OnClosed);
        Receive<Answer>(a => a.Connection.Send(new VmChannelFrame(VmChannelFrameKind.Reply, a.Id, a.Body)));
        Receive<PumpConsole>(_ => SendConsole());
        Receive<NodeGone>(_ => OnNodeGone());
        Receive<LeaseCheck>(_ => { if (!CheckLease()) ArmLeaseTimer(); });
        Receive<ApproveCommit>(OnApproveCommit);
        Receive<VmExited>(e => { if (_greeted) _node!.Send(VmChannelFrame.Event(e)); });
        Receive<VmEvent>(e => { if (_greeted) _node!.Send(VmChannelFrame.Event(e)); });
    }

    protected override void PreStart()
    {
        _vm.Tell(new Subscribe(Self));
        _vm.Tell(new WatchExit());
        Timers.StartSingleTimer("node-gone", new NodeGone(), _nodeGoneAfter > FirstGreetingWait ? _nodeGoneAfter : FirstGreetingWait);
        _waitingForFirstNode = true;
        var self = Self;
        _ = Task.Run(async () =>
        {
            try
            {
                while (true) self.Tell(new Accepted(await _listener.AcceptAsync()));
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The listener was closed: the server stopped.
            }
        });
    }

    protected override void PostStop()
    {
        _listener.Dispose();
        _node?.Dispose();
    }

    private void OnAccepted(Accepted a)
    {
        // The node that restarted replaces the one that went away.
        if (_node is { } old)
        {
            _node = null;
            old.Dispose();
            if (_greeted) NodeLost();
        }
        _greeted = false;
        _node = VmChannelConnection.Start(a.Socket, Self);
    }

    private void OnFrame(VmChannelFrame frame)
    {
        switch (frame)
        {
            case { Kind: VmChannelFrameKind.Hello, Body: NodeHello hello } when _quitting:
                _log.Warning("node {0} came back after the VM began to quit; closing its connection", hello.Node);
                _node!.Dispose();
                break;
            case { Kind: VmChannelFrameKind.Hello, Body: NodeHello hello }:
                _greeted = true;
                _waitingForFirstNode = false;
                _fenceBy = null; // a countdown was the previous node's
                Timers.Cancel("node-gone");
                _log.Info("node {0} connected; console from offset {1}", hello.Node, hello.ConsoleFrom);
                _node!.Send(VmChannelFrame.Hello(_hello));
                _consoleSent = hello.ConsoleFrom;
                SendConsole();
                Timers.StartPeriodicTimer("console", new PumpConsole(), ConsoleInterval);
                break;
            case { Kind: VmChannelFrameKind.Request, Body: FenceCountdown countdown }:
                _fenceBy = countdown.Milliseconds > 0 ? DateTime.UtcNow.AddMilliseconds(countdown.Milliseconds) : null;
                _node!.Send(new VmChannelFrame(VmChannelFrameKind.Reply, frame.Id, new CommandDone()));
                break;
            case { Kind: VmChannelFrameKind.Request, Body: LeaseDeadline deadline }:
                OnLeaseDeadline(deadline);
                _node!.Send(new VmChannelFrame(VmChannelFrameKind.Reply, frame.Id, new CommandDone()));
                break;
            case { Kind: VmChannelFrameKind.Request }:
                Forward(frame.Id, frame.Body);
                break;
            case { Kind: VmChannelFrameKind.Reply, Body: CommitApproved or CommitRefused }
                when _commitAskers.Remove(frame.Id, out var asker):
                asker.Tell(frame.Body);
                break;
            default:
                _log.Warning("the node sent an unexpected {0} {1}; closing its connection", frame.Kind, frame.Body.GetType().Name);
                _node!.Dispose();
                break;
        }
    }

    /// <summary>A node request goes to the VM as its in-process message; the answer goes back with the request's id.</summary>
    private void Forward(long id, object body)
    {
        object message = body switch
        {
            MigrateTo m => new Migrate(m.Destination, Self),
            _ => body,
        };
        var connection = _node!;
        _vm.Ask<object>(message, RequestTimeout)
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? new Answer(connection, id, t.Result)
                : new Answer(connection, id, new CommandFailed($"the VM did not answer {body.GetType().Name} within {RequestTimeout.TotalSeconds:0} s")))
            .PipeTo(Self);
    }

    /// <summary>The VM's migration asks to commit: the node decides; with no node connected the answer is no (the guest stays here).</summary>
    private void OnApproveCommit(ApproveCommit ask)
    {
        if (!_greeted)
        {
            Sender.Tell(new CommitRefused("no node is connected to approve the commit"));
            return;
        }
        long id = ++_nextId;
        _commitAskers[id] = Sender;
        _node!.Send(new VmChannelFrame(VmChannelFrameKind.Request, id, new CommitRequest(ask.Destination)));
    }

    private void SendConsole()
    {
        if (!_greeted) return;
        while (true)
        {
            var (data, from, next, truncated) = _console.Read(_consoleSent, ConsoleChunkBytes);
            if (data.Length == 0 && !truncated) return;
            _node!.Send(VmChannelFrame.Event(new ConsoleData(from, data, truncated)));
            _consoleSent = next;
            if (data.Length < ConsoleChunkBytes) return;
        }
    }

    private void OnClosed(VmChannelConnection.Closed closed)
    {
        if (closed.Connection != _node) return;
        _node = null;
        if (closed.Error is not null) _log.Warning("the node's connection broke the channel protocol: {0}", closed.Error);
        // A connection that never greeted changes nothing: the countdown it would have stopped still runs.
        if (_greeted) NodeLost();
        _greeted = false;
    }

    /// <summary>The node that drove the VM is gone: count down to quitting, and refuse the commits it had not answered.</summary>
    private void NodeLost()
    {
        Timers.Cancel("console");
        var wait = _fenceBy is { } by ? TimeSpan.FromTicks(Math.Clamp((by - DateTime.UtcNow).Ticks, 0, _nodeGoneAfter.Ticks)) : _nodeGoneAfter;
        _log.Warning("the node is gone; the VM ends unless a node connects within {0:0.#} s", wait.TotalSeconds);
        Timers.StartSingleTimer("node-gone", new NodeGone(), wait);
        foreach (var asker in _commitAskers.Values) asker.Tell(new CommitRefused("the node went away before it approved the commit"));
        _commitAskers.Clear();
    }

    /// <summary>A later deadline extends the lease only if the current one has not passed: a lapsed lease stays lapsed.</summary>
    private void OnLeaseDeadline(LeaseDeadline deadline)
    {
        if (CheckLease() || deadline.MonotonicMs <= (_leaseUntil ?? long.MinValue)) return;
        _leaseUntil = deadline.MonotonicMs;
        ArmLeaseTimer();
    }

    private void ArmLeaseTimer()
    {
        if (_leaseUntil is { } until)
            Timers.StartSingleTimer("lease", new LeaseCheck(), TimeSpan.FromMilliseconds(Math.Max(1, until - Environment.TickCount64)));
    }

    /// <summary>Quits the VM once the lease deadline has passed; true when it has.</summary>
    private bool CheckLease()
    {
        if (_leaseUntil is not { } until || Environment.TickCount64 < until) return false;
        if (!_quitting)
        {
            _quitting = true;
            _log.Warning("the host's lease lapsed {0} ms ago: quitting the VM so that it never runs beside a copy the cluster restarted", Environment.TickCount64 - until);
            QuitFenced();
        }
        return true;
    }

    private void OnNodeGone()
    {
        if (_greeted) return;
        _quitting = true;
        _log.Warning(_waitingForFirstNode
            ? $"no node greeted this VM process within {FirstGreetingWait.TotalSeconds:0} s: quitting (no guest ran)"
            : _fenceBy is null
            ? $"no node for {_nodeGoneAfter.TotalSeconds:0.#} s: quitting the VM so that it never runs beside a copy the cluster restarted"
            : "the node went away while fencing itself: quitting the VM so that it never runs beside a copy the cluster restarted");
        QuitFenced();
    }

    private readonly Action? _whenFenced;

    /// <summary>Quits the VM in order, and tells the process, which ends itself outright if the quit is slow.</summary>
    private void QuitFenced()
    {
        _vm.Tell(new Command(VmCommand.Quit));
        _whenFenced?.Invoke();
    }
}
