using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Tern.Actors.Vm;
using Tern.Actors.Vm.Process;
using Tern.Devices.Board;
using Tern.Devices.Config;
using static Tern.Actors.Vm.Process.VmChannelMessages;
using static Tern.Actors.Vm.VmProtocol;

namespace Tern.Actors.Tests.Vm.Process;

/// <summary>
/// The VM process's end of the VM channel, driving a real VmActor that runs the test kernel, with
/// a node played by this test over a real unix socket.
/// </summary>
public sealed class VmChannelServerTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("tern-channel-").FullName;
    private readonly ConsoleRing _console = new(64 * 1024);

    public VmChannelServerTests() : base("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING") { }

    private string SocketPath => Path.Combine(_dir, "channel.sock");

    private (IActorRef Vm, IActorRef Server) Start(TimeSpan nodeGoneAfter)
    {
        var config = new VmConfig { Name = "chan", Boot = new BootConfig(TestKernelFiles.TestKernel, null, "mode=ticks tick_ms=50"), MemoryBytes = 256UL << 20 };
        var vm = Sys.ActorOf(VmActor.Props(config, new MachineConsole(_console, null)));
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        listener.Listen(4);
        var server = Sys.ActorOf(VmChannelServer.Props(vm, _console, listener, new VmHello("chan", 5, Environment.ProcessId, VmChannelCodec.ProtocolVersion), nodeGoneAfter));
        return (vm, server);
    }

    private sealed class Node : IDisposable
    {
        private readonly NetworkStream _stream;

        public Node(string path)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            _stream = new NetworkStream(socket, ownsSocket: true);
        }

        public readonly StringBuilder Console = new();

        public void Send(VmChannelFrame frame) => _stream.Write(VmChannelCodec.Encode(frame));

        public void SendRaw(byte[] bytes) => _stream.Write(bytes);

        /// <summary>The next frame (console output is also gathered in <see cref="Console"/>); null at the end of the stream.</summary>
        public VmChannelFrame? Next()
        {
            using var timeout = new CancellationTokenSource(Long);
            var frame = VmChannelCodec.ReadAsync(_stream, timeout.Token).GetAwaiter().GetResult();
            if (frame?.Body is ConsoleData data) Console.Append(Encoding.ASCII.GetString(data.Data));
            return frame;
        }

        /// <summary>The next frame that is not console output.</summary>
        public VmChannelFrame? NextNotConsole()
        {
            while (Next() is { } frame)
                if (frame.Body is not ConsoleData) return frame;
            return null;
        }

        public T Expect<T>(VmChannelFrameKind kind, long id = 0)
        {
            var frame = NextNotConsole() ?? throw new Xunit.Sdk.XunitException($"the channel ended while waiting for {typeof(T).Name}");
            Assert.Equal(kind, frame.Kind);
            Assert.Equal(id, frame.Id);
            return Assert.IsType<T>(frame.Body);
        }

        public void ReadUntilConsoleHas(string text)
        {
            while (!Console.ToString().Contains(text, StringComparison.Ordinal))
                Assert.NotNull(Next());
        }

        public void Dispose() => _stream.Dispose();
    }

    [TestKernelFact]
    public void A_node_greets_boots_reads_the_console_and_quits_the_vm_over_the_channel()
    {
        Start(TimeSpan.FromMinutes(1));
        using var node = new Node(SocketPath);
        node.Send(VmChannelFrame.Hello(new NodeHello("h1", 0)));
        var hello = node.Expect<VmHello>(VmChannelFrameKind.Hello);
        Assert.Equal(("chan", 5L), (hello.Name, hello.Incarnation));

        node.Send(new VmChannelFrame(VmChannelFrameKind.Request, 1, new Boot()));
        node.Expect<Booted>(VmChannelFrameKind.Reply, 1);
        node.Send(new VmChannelFrame(VmChannelFrameKind.Request, 2, new QueryStatus()));
        Assert.Equal(VmRunState.Running, node.Expect<VmProtocol.Status>(VmChannelFrameKind.Reply, 2).State);
        node.ReadUntilConsoleHas("TICK 3");

        node.Send(new VmChannelFrame(VmChannelFrameKind.Request, 3, new Command(VmCommand.Quit)));
        // The VM's Shutdown event, its exit and the reply (which goes through an ask) may come in any order; all must come.
        var seen = new List<object>();
        while (!(seen.OfType<VmExited>().Any() && seen.OfType<CommandDone>().Any()))
            seen.Add((node.NextNotConsole() ?? throw new Xunit.Sdk.XunitException($"the channel ended after {string.Join(", ", seen)}")).Body);
        Assert.Contains(seen, b => b is VmEvent.Shutdown);
    }

    [TestKernelFact]
    public void A_node_that_breaks_the_protocol_is_cut_off_and_the_next_node_takes_over_with_the_console_from_its_offset()
    {
        var (vm, _) = Start(TimeSpan.FromMinutes(1));
        using (var first = new Node(SocketPath))
        {
            first.Send(VmChannelFrame.Hello(new NodeHello("h1", 0)));
            first.Expect<VmHello>(VmChannelFrameKind.Hello);
            first.Send(new VmChannelFrame(VmChannelFrameKind.Request, 1, new Boot()));
            first.Expect<Booted>(VmChannelFrameKind.Reply, 1);
            first.ReadUntilConsoleHas("TICK 2");
            first.SendRaw([5, 0, 0, 0, (byte)'h', (byte)'e', (byte)'l', (byte)'l', (byte)'o']);
            while (first.Next() is not null) { } // the server closes the connection
        }

        long offset = _console.Written;
        using var second = new Node(SocketPath);
        second.Send(VmChannelFrame.Hello(new NodeHello("h1", offset)));
        second.Expect<VmHello>(VmChannelFrameKind.Hello);
        second.Send(new VmChannelFrame(VmChannelFrameKind.Request, 1, new QueryStatus()));
        Assert.Equal(VmRunState.Running, second.Expect<VmProtocol.Status>(VmChannelFrameKind.Reply, 1).State);
        second.ReadUntilConsoleHas("TICK");
        Assert.DoesNotContain("READY", second.Console.ToString()); // only what came after the offset it gave

        vm.Tell(new QueryStatus(), TestActor);
        Assert.Equal(VmRunState.Running, ExpectMsg<VmProtocol.Status>(Long).State);
    }

    [TestKernelFact]
    public void A_vm_whose_node_is_gone_longer_than_allowed_quits()
    {
        var (vm, _) = Start(TimeSpan.FromMilliseconds(800));
        using (var node = new Node(SocketPath))
        {
            GreetAndBoot(node);
        }
        vm.Tell(new WatchExit(), TestActor);
        var exited = ExpectMsg<VmExited>(Long);
        Assert.Equal(0, exited.ExitCode);
    }

    /// <summary>The node greets the VM (console from offset 0) and boots it with request 1.</summary>
    private static void GreetAndBoot(Node node)
    {
        node.Send(VmChannelFrame.Hello(new NodeHello("h1", 0)));
        node.Expect<VmHello>(VmChannelFrameKind.Hello);
        node.Send(new VmChannelFrame(VmChannelFrameKind.Request, 1, new Boot()));
        node.Expect<Booted>(VmChannelFrameKind.Reply, 1);
    }

    /// <summary>A node greets and boots the VM, then goes away (the connection closes).</summary>
    private void BootAndLeave()
    {
        using var node = new Node(SocketPath);
        GreetAndBoot(node);
        node.ReadUntilConsoleHas("TICK 2");
    }

    [TestKernelFact]
    public void A_node_that_comes_back_within_the_window_drives_the_same_guest_with_all_its_output()
    {
        var (vm, _) = Start(TimeSpan.FromSeconds(3));
        BootAndLeave();
        Thread.Sleep(500); // the guest ticks on with no node

        using var back = new Node(SocketPath);
        back.Send(VmChannelFrame.Hello(new NodeHello("h1", 0)));
        back.Expect<VmHello>(VmChannelFrameKind.Hello);
        back.ReadUntilConsoleHas("TICK 12");
        Assert.Contains("READY", back.Console.ToString()); // from offset 0: what the guest wrote before and while the node was away
        Thread.Sleep(3500); // past the window: the greeting stopped the countdown
        back.Send(new VmChannelFrame(VmChannelFrameKind.Request, 1, new QueryStatus()));
        Assert.Equal(VmRunState.Running, back.Expect<VmProtocol.Status>(VmChannelFrameKind.Reply, 1).State);
        vm.Tell(new QueryStatus(), TestActor);
        Assert.Equal(VmRunState.Running, ExpectMsg<VmProtocol.Status>(Long).State);
    }

    [TestKernelFact]
    public void A_process_no_node_has_greeted_yet_waits_past_the_window_since_no_guest_runs()
    {
        // A machine that stalls for seconds right after the node started the process must not cost the VM.
        Start(TimeSpan.FromMilliseconds(300));
        Thread.Sleep(1500);
        using var node = new Node(SocketPath);
        node.Send(VmChannelFrame.Hello(new NodeHello("h1", 0)));
        node.Expect<VmHello>(VmChannelFrameKind.Hello);
        node.Send(new VmChannelFrame(VmChannelFrameKind.Request, 1, new Boot()));
        node.Expect<Booted>(VmChannelFrameKind.Reply, 1);
    }

    [TestKernelFact]
    public void A_connection_that_never_greets_does_not_stop_the_countdown_and_a_late_node_is_refused()
    {
        var (vm, _) = Start(TimeSpan.FromMilliseconds(800));
        BootAndLeave();
        using var silent = new Node(SocketPath); // connects, says nothing
        vm.Tell(new WatchExit(), TestActor);
        ExpectMsg<VmExited>(Long);

        using var late = new Node(SocketPath);
        late.Send(VmChannelFrame.Hello(new NodeHello("h1", 0)));
        Assert.Null(late.NextNotConsole()); // closed without a VmHello: the VM has quit
    }

    [TestKernelFact]
    public void A_node_that_vanishes_while_fencing_itself_takes_the_vm_down_by_its_countdown_not_the_window()
    {
        var (vm, _) = Start(TimeSpan.FromMinutes(1));
        var started = System.Diagnostics.Stopwatch.StartNew();
        using (var node = new Node(SocketPath))
        {
            GreetAndBoot(node);
            node.Send(new VmChannelFrame(VmChannelFrameKind.Request, 2, new FenceCountdown(1000)));
            node.Expect<CommandDone>(VmChannelFrameKind.Reply, 2);
            started.Restart();
        }
        vm.Tell(new WatchExit(), TestActor);
        ExpectMsg<VmExited>(Long);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"the VM quit {started.Elapsed.TotalSeconds:0.0} s after its node vanished, not by the 1 s countdown");
    }

    [TestKernelFact]
    public void A_cancelled_countdown_leaves_the_window_in_force()
    {
        var (vm, _) = Start(TimeSpan.FromSeconds(4));
        using (var node = new Node(SocketPath))
        {
            GreetAndBoot(node);
            node.Send(new VmChannelFrame(VmChannelFrameKind.Request, 2, new FenceCountdown(200)));
            node.Expect<CommandDone>(VmChannelFrameKind.Reply, 2);
            node.Send(new VmChannelFrame(VmChannelFrameKind.Request, 3, new FenceCountdown(0)));
            node.Expect<CommandDone>(VmChannelFrameKind.Reply, 3);
        }
        Thread.Sleep(1500); // well past the cancelled countdown, inside the window
        vm.Tell(new QueryStatus(), TestActor);
        Assert.Equal(VmRunState.Running, ExpectMsg<VmProtocol.Status>(Long).State);
    }

    [TestKernelFact]
    public void A_vm_whose_lease_deadline_passes_quits_even_with_its_node_connected_and_renewals_keep_it_running()
    {
        var (vm, _) = Start(TimeSpan.FromMinutes(1));
        using var node = new Node(SocketPath);
        GreetAndBoot(node);
        // Renewed twice, each time 600 ms ahead: the guest runs on past the first deadline.
        long first = Environment.TickCount64 + 600;
        node.Send(new VmChannelFrame(VmChannelFrameKind.Request, 2, new LeaseDeadline(first)));
        node.Expect<CommandDone>(VmChannelFrameKind.Reply, 2);
        Thread.Sleep(300);
        node.Send(new VmChannelFrame(VmChannelFrameKind.Request, 3, new LeaseDeadline(Environment.TickCount64 + 600)));
        node.Expect<CommandDone>(VmChannelFrameKind.Reply, 3);
        Thread.Sleep((int)Math.Max(0, first - Environment.TickCount64) + 100);
        vm.Tell(new QueryStatus(), TestActor);
        Assert.Equal(VmRunState.Running, ExpectMsg<VmProtocol.Status>(Long).State);

        // No renewal: the guest ends by the deadline though the node is still connected.
        vm.Tell(new WatchExit(), TestActor);
        var exited = ExpectMsg<VmExited>(Long);
        Assert.True(Environment.TickCount64 - first < 5000, "the VM did not quit by its lease deadline");
        Assert.Equal(0, exited.ExitCode);
    }

    [TestKernelFact]
    public void A_deadline_that_arrives_after_the_lease_lapsed_revives_nothing()
    {
        var (vm, _) = Start(TimeSpan.FromMinutes(1));
        using var node = new Node(SocketPath);
        GreetAndBoot(node);
        vm.Tell(new WatchExit(), TestActor);
        // A deadline already past when it arrives (a stalled node), then a later one right behind it:
        // the lease lapsed in between, so the guest ends all the same.
        node.Send(new VmChannelFrame(VmChannelFrameKind.Request, 2, new LeaseDeadline(Environment.TickCount64 - 1)));
        node.Expect<CommandDone>(VmChannelFrameKind.Reply, 2);
        node.Send(new VmChannelFrame(VmChannelFrameKind.Request, 3, new LeaseDeadline(Environment.TickCount64 + 60_000)));
        ExpectMsg<VmExited>(Long);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Directory.Delete(_dir, recursive: true);
    }
}
