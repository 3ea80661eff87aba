using System.Net.Sockets;
using Akka.Actor;
using Tern.Actors.Migration.Engine.Transport;
using Tern.Actors.Security;
using Tern.Actors.Vm;
using Tern.Actors.Vm.Process;
using Tern.Devices.Board;
using Tern.Devices.Config;
using Tern.Host.CommandLine;
using Tern.Host.Standalone;
using Tern.Host.VmProcess.Sandbox;

namespace Tern.Host.VmProcess;

/// <summary>
/// `tern vm`: one cluster VM in a process of its own, driven by its node over the VM channel
/// (<see cref="VmChannelCodec"/>). The machine is the one a standalone `tern` builds from the same
/// options; it boots when the node says so, its serial output goes to a ring the node reads over
/// the channel, and the process exits when the guest has ended — or when its node has been gone
/// longer than --node-gone-after-ms, so that it never runs beside a copy the cluster restarted.
/// </summary>
public static class VmProcessMain
{
    /// <summary>
    /// How long an orderly quit may take once fencing ends the VM; past it the process exits at once
    /// (_exit). Under a CPU hog the orderly quit (vCPUs, devices, the actor system) took 3 s and more.
    /// </summary>
    private static readonly TimeSpan FencedQuitGrace = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(string[] args)
    {
        VmProcessOptions options;
        VmConfig config;
        try
        {
            options = VmProcessOptions.Parse(args);
            config = VmCommandLine.Parse(options.Machine);
            if (config.Name != options.Name)
                throw new CommandLineException($"tern vm {options.Name}: the machine's -name is '{config.Name ?? ""}', not '{options.Name}'");
        }
        catch (Exception e) when (e is CommandLineException or VersionRequestedException or HelpRequestedException)
        {
            return Fail(e is CommandLineException ? e.Message : "tern vm takes no -version or -help");
        }

        // Its own session: a Ctrl-C meant for the node's terminal must not reach the guest; the node ends it when it should.
        Tern.Kvm.HostProcess.StartNewSession();
        var sandbox = VmSandbox.For(options);
        try
        {
            sandbox.Begin();
        }
        catch (Tern.Kvm.HostProcessException e)
        {
            return Fail(e.Message);
        }
        Socket listener;
        try
        {
            listener = Listen(options.Channel);
        }
        catch (SocketException e)
        {
            return Fail($"cannot listen on the channel socket {options.Channel}: {e.Message}");
        }

        var files = VmProcessFiles.ForChannel(options.Channel);
        File.WriteAllText(files.PidFile, $"{Environment.ProcessId}\n");
        var console = new ConsoleRing(options.ConsoleBytes);
        using var system = ActorSystem.Create("tern", HoconConfig.Load("tern.conf"));
        var vm = system.ActorOf(VmActor.Props(config, new MachineConsole(console, null), tls: TlsCredsObjects.None), "vm");
        var hello = new VmChannelMessages.VmHello(options.Name, options.Incarnation, Environment.ProcessId, VmChannelCodec.ProtocolVersion);
        var driven = sandbox.Confines ? system.ActorOf(SandboxAfterBoot.Props(vm, sandbox, () => ProbeSoon(options.Name)), "sandbox") : vm;
        system.ActorOf(VmChannelServer.Props(driven, console, listener, hello, options.NodeGoneAfter,
            whenFenced: () => Tern.Kvm.HostProcess.ExitNowAfter(FencedQuitGrace, 1)), "channel");
        using var signals = QuitOnSignal.Install(vm);

        var exited = await ExitOf(vm);
        // The server sends the exit to the node; give the frame a moment to leave before the process goes.
        await Task.Delay(VmChannelServer.ConsoleInterval * 2);
        DeleteIfAllowed(options.Channel);
        DeleteIfAllowed(files.PidFile);
        if (exited.ExitCode != 0) Console.Error.WriteLine($"tern vm {config.Name}: {exited.Reason}");
        await system.Terminate().WaitAsync(TimeSpan.FromSeconds(3)).ContinueWith(_ => { });
        return exited.ExitCode;
    }

    /// <summary>
    /// How the VM ended: its exit, or — a VmActor whose boot failed stops without one — that, so
    /// the process never outlives a VM that will not run (its node would kill it, unless gone).
    /// </summary>
    private static async Task<VmProtocol.VmExited> ExitOf(IActorRef vm)
    {
        var exit = vm.Ask<VmProtocol.VmExited>(new VmProtocol.WatchExit(), Timeout.InfiniteTimeSpan);
        await Task.WhenAny(exit, vm.WatchAsync());
        return exit.IsCompletedSuccessfully ? exit.Result : new VmProtocol.VmExited(1, "the VM did not boot");
    }

    /// <summary>A process that became another user, or whose root is its jail, can no longer reach its files' directory; the node removes them then.</summary>
    private static void DeleteIfAllowed(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
        }
    }

    /// <summary>For tests: what <see cref="SandboxProbe"/> was asked to try, a moment after the node has heard Booted.</summary>
    private static void ProbeSoon(string vm)
    {
        if (SandboxProbe.Requested is { } probes) _ = Task.Delay(SandboxProbe.Delay).ContinueWith(_ => SandboxProbe.Run(vm, probes));
    }

    /// <summary>The channel socket, readable and writable by this user alone (the node runs as the same user).</summary>
    private static Socket Listen(string path)
    {
        File.Delete(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        socket.Listen(4);
        return socket;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"tern vm: {message}");
        return 1;
    }
}
