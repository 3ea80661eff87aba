using Akka.Actor;
using Akka.Configuration;
using Tern.Actors.Vm;
using Tern.Devices.Board;
using Tern.Devices.Config;
using Tern.Host.CommandLine;

namespace Tern.Host.Standalone;

/// <summary>`tern [StratoVirt options]`: one VM in one process, ended by the guest or by QMP.</summary>
public static class StandaloneVm
{
    public static async Task<int> RunAsync(string[] args)
    {
        VmConfig config;
        try
        {
            config = VmCommandLine.Parse(args);
        }
        catch (CommandLineException e)
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

        using var console = ConsoleStreams.Open(config.Serial);
        using var system = ActorSystem.Create("tern", HoconConfig.Load("tern.conf"));
        var vm = system.ActorOf(VmActor.Props(config, console.Machine), "vm");
        var boot = await vm.Ask<VmProtocol.IVmMessage>(new VmProtocol.Boot(), TimeSpan.FromMinutes(2));
        if (boot is VmProtocol.BootFailed failed)
        {
            console.DiscardCreatedFiles();
            return Fail(failed.Reason);
        }

        var exited = await vm.Ask<VmProtocol.VmExited>(new VmProtocol.WatchExit(), Timeout.InfiniteTimeSpan);
        console.Flush();
        if (exited.ExitCode != 0) Console.Error.WriteLine($"tern: {exited.Reason}");
        await system.Terminate().WaitAsync(TimeSpan.FromSeconds(3)).ContinueWith(_ => { });
        return exited.ExitCode;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"tern: {message}");
        return 1;
    }
}
