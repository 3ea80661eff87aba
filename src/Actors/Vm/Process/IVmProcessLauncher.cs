using Tern.Devices.Config;

namespace Tern.Actors.Vm.Process;

/// <summary>Where one VM process keeps its channel socket: a directory of its own that only the node's user can enter.</summary>
public sealed record VmProcessFiles(string Directory)
{
    public string ChannelSocket => Path.Combine(Directory, "channel.sock");
}

/// <summary>
/// Starts the `tern vm` process of one VM instance (the node knows which executable and how to
/// spell its command line; the actors do not): it builds <paramref name="config"/>'s machine,
/// serves the channel at <see cref="VmProcessFiles.ChannelSocket"/> and waits for the node's Boot.
/// </summary>
public interface IVmProcessLauncher
{
    System.Diagnostics.Process Start(VmConfig config, long incarnation, VmProcessFiles files);
}
