using Akka.Actor;
using Tern.Actors.Migration.Engine.Transport;
using Tern.Actors.Security;
using Tern.Actors.Vm;
using Tern.Devices.Board;
using Tern.Devices.Config;
using Tern.Host.CommandLine;
using Tern.Host.Qmp;

namespace Tern.Host.Standalone;

/// <summary>`tern [StratoVirt options]`: one VM in one process, ended by the guest, by QMP or by a signal.</summary>
public static class StandaloneVm
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(2);

    public static async Task<int> RunAsync(string[] args)
    {
        VmConfig config;
        TlsCredsObjects tls;
        try
        {
            config = VmCommandLine.Parse(args);
            tls = TlsCredsObjects.Load(config.TlsCreds);
        }
        catch (Exception e) when (e is CommandLineException or TlsCredentialsException)
        {
            return Fail(e.Message);
        }
        catch (VersionRequestedException)
        {
            Console.WriteLine(VersionText.Line);
            return 0;
        }
        catch (HelpRequestedException h)
        {
            Console.WriteLine(h.Usage);
            return 0;
        }

        // First, so a bad or busy -qmp endpoint fails before anything is created.
        QmpServer? qmp;
        try
        {
            qmp = config.Qmp is { } endpoint ? QmpServer.Bind(endpoint) : null;
        }
        catch (QmpBindException e)
        {
            return Fail(e.Message);
        }

        try
        {
            return await RunVmAsync(config, tls, qmp);
        }
        finally
        {
            // Every way out (a failed boot, an exception) closes the clients and removes the socket file.
            if (qmp is not null) await qmp.DisposeAsync();
        }
    }

    private static async Task<int> RunVmAsync(VmConfig config, TlsCredsObjects tls, QmpServer? qmp)
    {
        ConsoleStreams console;
        try
        {
            console = ConsoleStreams.Open(config.Serial);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The command line checked the file; it changed since (or a race), so say so in one line.
            return Fail($"serial file '{EchoedText.Clip(config.Serial.Path)}' cannot be opened for writing");
        }
        using var _ = console;
        // Guest memory, kernel and devices are built and the guest started first; the actor
        // system starts while the guest runs. Building the machine beside the actor system was
        // slower on two cores (READY 127 ms against 109): both start-ups JIT-compile, and the
        // guest then waited for the machine.
        var machine = PrepareNow(config, console.Machine);
        using var system = ActorSystem.Create("tern", HoconConfig.Load("tern.conf"));
        var vm = system.ActorOf(VmActor.Props(config, console.Machine, machine, tls), "vm");
        using var signals = QuitOnSignal.Install(vm);
        qmp?.Attach(system, vm);

        // The boot's answer is awaited with the signal: a VM that never answers must not make
        // SIGTERM (which only asks the VM to quit) wait for the timeout.
        if (await AwaitBootAsync(vm, signals, qmp is not null) is { } failure)
        {
            if (qmp is not null) await qmp.StopAsync();
            console.DiscardCreatedFiles();
            return Fail(failure);
        }
        qmp?.Start(StandardCommands.Create(vm));

        var exited = await vm.Ask<VmProtocol.VmExited>(new VmProtocol.WatchExit(), Timeout.InfiniteTimeSpan);
        console.Flush();
        // The last events (SHUTDOWN) and quit's reply reach the clients before the socket goes.
        if (qmp is not null) await qmp.StopAsync();
        if (exited.ExitCode != 0) Console.Error.WriteLine($"tern: {exited.Reason}");
        await system.Terminate().WaitAsync(TimeSpan.FromSeconds(3)).ContinueWith(_ => { });
        return exited.ExitCode;
    }

    /// <summary>Null once the VM has booted; otherwise why it did not.</summary>
    private static async Task<string?> AwaitBootAsync(IActorRef vm, QuitOnSignal signals, bool prepareMigration)
    {
        var boot = vm.Ask<VmProtocol.IVmMessage>(new VmProtocol.Boot(prepareMigration), BootTimeout);
        if (await Task.WhenAny(boot, signals.Received) != boot) return "stopped by a signal while booting";
        try
        {
            return await boot is VmProtocol.BootFailed failed ? failed.Reason : null;
        }
        catch (AskTimeoutException)
        {
            return $"the VM did not boot within {BootTimeout.TotalSeconds:F0} s";
        }
    }

    /// <summary>The first machine, built now; a failure to build it is the VmActor's boot failure to report.</summary>
    private static Task<FirstMachine> PrepareNow(VmConfig config, MachineConsole console)
    {
        try
        {
            return Task.FromResult(FirstMachine.Prepare(config, console));
        }
        catch (Exception e)
        {
            return Task.FromException<FirstMachine>(e);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"tern: {message}");
        return 1;
    }
}
