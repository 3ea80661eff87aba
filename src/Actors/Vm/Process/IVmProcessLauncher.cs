using Tern.Devices.Config;

namespace Tern.Actors.Vm.Process;

/// <summary>
/// Where one VM process keeps its channel socket and pid file: a directory of its own that only
/// the node's user can enter, named after the instance's incarnation (vms/INCARNATION, or
/// vms/INCARNATION-ATTEMPT for a boot tried again), so a restarted node can find it.
/// </summary>
public sealed record VmProcessFiles(string Directory)
{
    public string ChannelSocket => Path.Combine(Directory, "channel.sock");

    /// <summary>The process's id, written by the process itself once it listens on its channel.</summary>
    public string PidFile => Path.Combine(Directory, "pid");

    /// <summary>The files of the process whose channel socket is <paramref name="channel"/>.</summary>
    public static VmProcessFiles ForChannel(string channel) => new(Path.GetDirectoryName(Path.GetFullPath(channel))!);
}

/// <summary>What one VM process uses now, from its cgroup: memory charged to it (guest RAM included) and CPU time in nanoseconds.</summary>
public readonly record struct VmProcessUsage(ulong MemoryBytes, ulong CpuNanoseconds);

/// <summary>
/// Starts the `tern vm` process of one VM instance (the node knows which executable and how to
/// spell its command line; the actors do not): it builds <paramref name="config"/>'s machine,
/// serves the channel at <see cref="VmProcessFiles.ChannelSocket"/> and waits for the node's Boot.
/// </summary>
public interface IVmProcessLauncher
{
    /// <param name="sameUserAs">
    /// The VM process whose guest this one takes over on this host (a local migration): when that
    /// one runs as a user of its own, this one runs as the same user, so that it can connect.
    /// </param>
    System.Diagnostics.Process Start(VmConfig config, long incarnation, VmProcessFiles files, VmProcessFiles? sameUserAs = null);

    /// <summary>
    /// The uid the process <see cref="Start"/> starts for these arguments becomes once its machine
    /// is built (what the node gives the VM's TAPs to); null when it keeps the node's.
    /// </summary>
    uint? Uid(long incarnation, VmProcessFiles? sameUserAs = null);

    /// <summary>
    /// What the running VM process of <paramref name="name"/>'s incarnation <paramref name="incarnation"/>
    /// uses (for the host's load accounting); null when there is none, or it has no cgroup (a host without cgroups).
    /// </summary>
    VmProcessUsage? Usage(string name, long incarnation);

    /// <summary>Removes what VM processes of an earlier run of the node left once they have ended (their cgroups); the host calls it with each report.</summary>
    void RemoveEnded();
}
