using System.Diagnostics;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;
using static Tern.Actors.Migration.MigrationProtocol;
using static Tern.Actors.Vm.Process.VmChannelMessages;
using static Tern.Actors.Vm.VmProtocol;

namespace Tern.Actors.Vm.Process;

/// <summary>
/// A node's stand-in for a VM that runs in a `tern vm` process of its own: it answers the
/// <see cref="VmProtocol"/> and <see cref="Migration.MigrationProtocol"/> messages the host sends a
/// <see cref="VmActor"/>, by passing them over the VM channel (<see cref="VmChannelCodec"/>), and
/// publishes the VM's events to its own subscribers as the VM itself would. It mirrors the VM's
/// console output into <c>console</c>, approves a migration's commit by asking the approver the
/// host named, and reports the VM's end at once when the process dies, whatever killed it.
///
/// Boot starts the process, connects and greets it, then boots it. A proxy made with
/// <see cref="Adopting"/> starts nothing: its Boot connects to a VM process that a previous run of
/// the node left running (<see cref="VmOrphans"/>), greets it and answers Booted without touching
/// the guest. Stopping the proxy ends the process (SIGKILL if it still runs), as stopping a
/// VmActor disposes its machine.
/// </summary>
public sealed class VmProcessProxy : ReceiveActor, IWithUnboundedStash, IWithTimers
{
    private static readonly TimeSpan ConnectRetry = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    private readonly Tern.Devices.Config.VmConfig _config;
    private readonly string _name;
    private readonly long _incarnation;
    private readonly string _node;
    private readonly IVmProcessLauncher? _launcher;
    private readonly VmProcessFiles? _sameUserAs;
    private readonly VmProcessFiles _files;
    private readonly ConsoleRing _console;
    /// <summary>The running VM process this proxy adopts instead of starting one; null when it starts its own.</summary>
    private readonly int? _adoptPid;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly VmAudience _audience;
    private readonly Dictionary<long, IActorRef> _requesters = [];
    private System.Diagnostics.Process? _process;
    private VmChannelConnection? _vm;
    private DateTime _connectUntil;
    private IActorRef? _bootRequester;
    private Boot? _boot;
    private IActorRef? _commitApprover;
    private bool _migrationOrdered;
    private long _commitRequestId;
    private long _nextId;

    public IStash Stash { get; set; } = null!;
    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record TryConnect;
    private sealed record Connected(Socket Socket);
    /// <summary>The process ended; its exit code is known only to the node that started it (not to one that adopted it).</summary>
    private sealed record ProcessEnded(int? ExitCode);

    /// <param name="sameUserAs">The VM process whose guest this one takes over on this host, if it does (<see cref="IVmProcessLauncher.Start"/>).</param>
    public static Props Props(Tern.Devices.Config.VmConfig config, string name, long incarnation, string node,
        IVmProcessLauncher launcher, VmProcessFiles files, ConsoleRing console, VmProcessFiles? sameUserAs = null) =>
        Akka.Actor.Props.Create(() => new VmProcessProxy(config, name, incarnation, node, launcher, files, console, null, sameUserAs));

    /// <summary>A proxy for the VM process <paramref name="orphan"/> that runs <paramref name="name"/>'s instance already.</summary>
    public static Props Adopting(Tern.Devices.Config.VmConfig config, string name, VmOrphan orphan, string node, ConsoleRing console) =>
        Akka.Actor.Props.Create(() => new VmProcessProxy(config, name, orphan.Incarnation, node, null, orphan.Files, console, orphan.Pid, null));

    /// <summary>Public for Akka's activator only: use <see cref="Props"/> or <see cref="Adopting"/>.</summary>
    public VmProcessProxy(Tern.Devices.Config.VmConfig config, string name, long incarnation, string node,
        IVmProcessLauncher? launcher, VmProcessFiles files, ConsoleRing console, int? adoptPid, VmProcessFiles? sameUserAs)
    {
        _sameUserAs = sameUserAs;
        _adoptPid = adoptPid;
        _config = config;
        _audience = new VmAudience(Context);
        _name = name;
        _incarnation = incarnation;
        _node = node;
        _launcher = launcher;
        _files = files;
        _console = console;
        Become(NotStarted);
    }

    private void NotStarted()
    {
        Receive<Boot>(OnBoot);
        Local();
        ReceiveAny(_ => Stash.Stash());
    }

    /// <summary>The process runs; the proxy connects and greets it before it passes the Boot on.</summary>
    private void Starting()
    {
        Receive<TryConnect>(_ => TryConnectOnce());
        Receive<Connected>(c =>
        {
            _vm = VmChannelConnection.Start(c.Socket, Self);
            _vm.Send(VmChannelFrame.Hello(new NodeHello(_node, _console.Written)));
        });
        Receive<VmChannelConnection.Received>(r => r.Frame is { Kind: VmChannelFrameKind.Hello, Body: VmHello }, r => OnVmHello((VmHello)r.Frame.Body));
        Receive<VmChannelConnection.Closed>(c => FailBoot($"the VM process closed its channel before greeting{(c.Error is null ? "" : $": {c.Error}")}"));
        Receive<ProcessEnded>(e => FailBoot($"the VM process ended before it booted ({DescribeExit(e.ExitCode)})"));
        Local();
        ReceiveAny(_ => Stash.Stash());
    }

    /// <summary>Greeted: every message goes over the channel.</summary>
    private void Driving()
    {
        Receive<VmChannelConnection.Received>(r => r.Connection == _vm, r => OnFrame(r.Frame));
        Receive<VmChannelConnection.Closed>(c => c.Connection == _vm, OnClosed);
        Receive<ProcessEnded>(OnProcessEnded);
        Receive<Migrate>(m =>
        {
            _migrationOrdered = true;
            _commitApprover = m.CommitApprover;
            Send(new MigrateTo(m.Destination));
        });
        Receive<CommitApproved>(AnswerCommit);
        Receive<CommitRefused>(AnswerCommit);
        Local();
        ReceiveAny(message =>
        {
            if (VmChannelTypes.Find(message.GetType().Name) is null)
                Unhandled(message);
            else
                Send(message);
        });
    }

    /// <summary>What the proxy answers itself, in every state: subscriptions and exit watches.</summary>
    private void Local()
    {
        Receive<Subscribe>(s => _audience.Subscribe(s.Subscriber));
        Receive<Unsubscribe>(s => _audience.Unsubscribe(s.Subscriber));
        Receive<Terminated>(t => _audience.Forget(t.ActorRef));
        Receive<WatchExit>(_ => _audience.WatchExit(Sender));
    }

    private void OnBoot(Boot boot)
    {
        _boot = boot;
        _bootRequester = Sender;
        if (_adoptPid is { } pid)
        {
            Adopt(pid);
            return;
        }
        try
        {
            Directory.CreateDirectory(_files.Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.Delete(_files.ChannelSocket);
            _process = _launcher!.Start(_config, _incarnation, _files, _sameUserAs);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            _bootRequester.Tell(new BootFailed($"the VM process could not be started: {e.Message}"));
            _bootRequester = null;
            Exit(1, "the VM process could not be started");
            return;
        }
        WatchAndConnect(exitCodeKnown: true);
    }

    /// <summary>Reports the process's end (with its exit code when this node started it) and connects to its channel.</summary>
    private void WatchAndConnect(bool exitCodeKnown)
    {
        var process = _process!;
        var self = Self;
        _ = process.WaitForExitAsync().ContinueWith(_ => self.Tell(new ProcessEnded(exitCodeKnown ? process.ExitCode : null)));
        _connectUntil = DateTime.UtcNow + ConnectTimeout;
        Become(Starting);
        Self.Tell(new TryConnect());
    }

    /// <summary>Watches the orphan's process (not a child of this node: its exit code is lost) and connects to its channel.</summary>
    private void Adopt(int pid)
    {
        try
        {
            _process = System.Diagnostics.Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            FailBoot($"the VM process {pid} to re-adopt is gone");
            return;
        }
        WatchAndConnect(exitCodeKnown: false);
    }

    private void TryConnectOnce()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(_files.ChannelSocket));
            Self.Tell(new Connected(socket));
        }
        catch (SocketException)
        {
            socket.Dispose();
            if (DateTime.UtcNow < _connectUntil) Timers.StartSingleTimer("connect", new TryConnect(), ConnectRetry);
            else FailBoot($"the VM process did not open its channel within {ConnectTimeout.TotalSeconds:0} s");
        }
    }

    private void OnVmHello(VmHello hello)
    {
        if (hello.Name != _name || hello.Incarnation != _incarnation || hello.ProtocolVersion != VmChannelCodec.ProtocolVersion
            || (_adoptPid is { } pid && hello.Pid != pid))
        {
            FailBoot($"the VM process is {hello.Name} incarnation {hello.Incarnation} speaking channel version {hello.ProtocolVersion}, " +
                $"not {_name} incarnation {_incarnation} version {VmChannelCodec.ProtocolVersion}");
            return;
        }
        Become(Driving);
        if (_adoptPid is not null)
        {
            // Its guest runs already: the greeting was all the adoption needed.
            _bootRequester!.Tell(new Booted());
        }
        else
        {
            // The Boot goes first, answered to whoever asked for it; anything sent meanwhile follows.
            long id = ++_nextId;
            _requesters[id] = _bootRequester!;
            _vm!.Send(new VmChannelFrame(VmChannelFrameKind.Request, id, _boot!));
        }
        _bootRequester = null;
        Stash.UnstashAll();
    }

    private void FailBoot(string reason)
    {
        _log.Warning("vm {0} (incarnation {1}): {2}", _name, _incarnation, reason);
        _bootRequester?.Tell(new BootFailed(reason));
        _bootRequester = null;
        Kill();
        Exit(1, reason);
    }

    private void Send(object message)
    {
        long id = ++_nextId;
        _requesters[id] = Sender;
        _vm!.Send(new VmChannelFrame(VmChannelFrameKind.Request, id, message));
    }

    private void OnFrame(VmChannelFrame frame)
    {
        switch (frame)
        {
            case { Kind: VmChannelFrameKind.Reply } when _requesters.Remove(frame.Id, out var requester):
                requester.Tell(frame.Body);
                break;
            case { Kind: VmChannelFrameKind.Event, Body: ConsoleData data }:
                Mirror(data);
                break;
            case { Kind: VmChannelFrameKind.Event, Body: VmExited exited }:
                Exit(exited.ExitCode, exited.Reason);
                break;
            case { Kind: VmChannelFrameKind.Event, Body: VmEvent e }:
                _audience.Publish(e);
                break;
            case { Kind: VmChannelFrameKind.Request, Body: CommitRequest ask }:
                _commitRequestId = frame.Id;
                // A migration this node did not order (one begun before the node restarted) is the
                // manager's to decide, and the manager gave it up with the node: the guest stays.
                if (!_migrationOrdered) AnswerCommit(new CommitRefused("this node did not order that migration"));
                else if (_commitApprover is null) AnswerCommit(new CommitApproved()); // a migration nobody else decides
                else _commitApprover.Tell(new ApproveCommit(ask.Destination));
                break;
            default:
                _log.Warning("vm {0}: the VM process sent an unexpected {1} {2}", _name, frame.Kind, frame.Body.GetType().Name);
                break;
        }
    }

    private void AnswerCommit(object answer)
    {
        if (_commitRequestId == 0) return;
        _vm?.Send(new VmChannelFrame(VmChannelFrameKind.Reply, _commitRequestId, answer));
        _commitRequestId = 0;
    }

    /// <summary>Console bytes go into the node's ring at the VM's offsets (a fresh ring starts where the VM's output stands).</summary>
    private void Mirror(ConsoleData data)
    {
        long written = _console.Written;
        if (written == 0 && data.From > 0) _console.Continue(data.From + data.Data.Length, data.Data);
        else if (data.From == written) _console.Write(data.Data);
        else if (data.From < written && data.From + data.Data.Length > written) _console.Write(data.Data.AsSpan((int)(written - data.From)));
    }

    private void OnClosed(VmChannelConnection.Closed closed)
    {
        _vm = null;
        if (closed.Error is not null) _log.Warning("vm {0}: the VM process broke the channel protocol: {1}", _name, closed.Error);
        // Without its channel the VM cannot be driven: end it; its exit is reported as the process ends.
        Kill();
    }

    private void OnProcessEnded(ProcessEnded ended)
    {
        if (_audience.Exited is null) Exit(1, $"the VM process ended unexpectedly ({DescribeExit(ended.ExitCode)})", processDied: true);
    }

    private void Exit(int code, string reason, bool processDied = false) => _audience.Exit(new VmExited(code, reason, processDied));

    /// <summary>.NET reports a process killed by signal S as exit code 128 + S.</summary>
    private static string DescribeExit(int? code) => code switch
    {
        null => "a re-adopted process's exit status is not known",
        > 128 => $"killed by signal {code - 128}",
        _ => $"exit code {code}",
    };

    private void Kill()
    {
        try
        {
            if (_process is { HasExited: false }) _process.Kill();
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // It ended meanwhile.
        }
    }

    protected override void PostStop()
    {
        _vm?.Dispose();
        Kill();
        _process?.Dispose();
        try
        {
            Directory.Delete(_files.Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone already, or the process still holds it: the next start of this instance clears the socket.
        }
    }
}
