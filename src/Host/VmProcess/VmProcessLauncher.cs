using System.Diagnostics;
using Tern.Actors.Vm.Process;
using Tern.Devices.Config;
using Tern.Host.CommandLine;

namespace Tern.Host.VmProcess;

/// <summary>
/// How a node starts the `tern vm` process of a VM: the native `tern` beside the node's build (the
/// smallest process; the node itself runs the ReadyToRun build), or this executable when there is
/// none. The process inherits the node's standard output and error, so its log lines land in the
/// node's log.
/// </summary>
public sealed class VmProcessLauncher(TimeSpan nodeGoneAfter, string? nodeTls, int consoleBytes) : IVmProcessLauncher
{
    public static string Executable
    {
        get
        {
            string native = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "tern"));
            return !ClusterHandOff.Needed && File.Exists(native) ? native : Environment.ProcessPath!;
        }
    }

    public Process Start(VmConfig config, long incarnation, VmProcessFiles files)
    {
        var options = new VmProcessOptions(config.Name ?? throw new ArgumentException("a VM process needs a named machine", nameof(config)), files.ChannelSocket, incarnation, nodeGoneAfter, nodeTls, consoleBytes, VmConfigArguments.For(config));
        var start = new ProcessStartInfo(Executable) { UseShellExecute = false };
        foreach (var arg in options.ToArguments()) start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException($"{Executable} did not start");
    }
}
