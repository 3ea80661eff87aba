using System.Collections.Concurrent;
using System.Diagnostics;
using Tern.Actors.Vm.Process;
using Tern.Devices.Config;
using Tern.Host.CommandLine;
using Tern.Host.VmProcess.Sandbox;

namespace Tern.Host.VmProcess;

/// <summary>
/// How a node starts the `tern vm` process of a VM: the native `tern` beside the node's build (the
/// smallest process; the node itself runs the ReadyToRun build), or this executable when there is
/// none. The process inherits the node's standard output and error, so its log lines land in the
/// node's log. It runs in a cgroup of its own with the VM's limits (<paramref name="cgroups"/>;
/// null: a host without them), made before it starts, joined right after — before the node sends
/// Boot, so guest RAM is always charged to it — and removed when it has ended; and it is told how
/// to confine itself (<paramref name="sandbox"/>).
/// </summary>
public sealed class VmProcessLauncher(TimeSpan nodeGoneAfter, int consoleBytes, VmSandboxSettings sandbox, VmCgroups? cgroups) : IVmProcessLauncher
{
    private readonly ConcurrentDictionary<(string Name, long Incarnation), VmCgroup> _cgroups = new();

    public static string Executable
    {
        get
        {
            string native = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "tern"));
            return !ClusterHandOff.Needed && File.Exists(native) ? native : Environment.ProcessPath!;
        }
    }

    public Process Start(VmConfig config, long incarnation, VmProcessFiles files, VmProcessFiles? sameUserAs = null)
    {
        string name = config.Name ?? throw new ArgumentException("a VM process needs a named machine", nameof(config));
        var user = UserFor(incarnation, sameUserAs);
        var options = new VmProcessOptions(name, files.ChannelSocket, incarnation, nodeGoneAfter, consoleBytes, VmConfigArguments.For(config), sandbox.Seccomp, user);
        var start = new ProcessStartInfo(Executable) { UseShellExecute = false };
        foreach (var arg in options.ToArguments()) start.ArgumentList.Add(arg);

        // One cgroup per start: a boot retried for the same incarnation runs in a new directory (files.Directory is per attempt).
        var cgroup = cgroups?.Create(name, Path.GetFileName(files.Directory), VmCgroupLimits.For(config.MemoryBytes, config.Vcpus, sandbox.MemoryOverheadBytes, sandbox.CpuQuotaPerVcpu));
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{Executable} did not start");
        }
        catch
        {
            if (cgroup is not null) cgroups!.Remove(cgroup);
            throw;
        }
        var key = (name, incarnation);
        if (cgroup is not null) _cgroups[key] = cgroup;
        WhenEnded(process.Id, () => Ended(key, cgroup, files));
        try
        {
            cgroup?.Add(process.Id);
        }
        catch
        {
            process.Kill();
            throw;
        }
        return process;
    }

    public uint? Uid(long incarnation, VmProcessFiles? sameUserAs = null) => UserFor(incarnation, sameUserAs)?.Uid;

    /// <summary>
    /// The user of incarnation <paramref name="incarnation"/>'s process: none without a uid range;
    /// the user of the process it takes over when that has one of its own (a local migration, whose
    /// abstract socket admits only its listener's user); else its own from the range.
    /// </summary>
    private VmProcessUser? UserFor(long incarnation, VmProcessFiles? sameUserAs)
    {
        if (sandbox.Users is not { } users) return null;
        if (sameUserAs is not null)
        {
            int pid = VmOrphans.RunningPid(sameUserAs) ?? throw new InvalidOperationException("the VM process whose guest it takes over is gone");
            var source = VmProcessUser.Of(pid);
            if (source.Uid != 0) return source;
        }
        uint id = users.For(incarnation);
        return new VmProcessUser(id, id);
    }

    /// <summary>From the cgroup this launcher made, or the one a re-adopted process of an earlier run of the node is in.</summary>
    public VmProcessUsage? Usage(string name, long incarnation)
    {
        try
        {
            return (_cgroups.TryGetValue((name, incarnation), out var ours) ? ours : cgroups?.Find(name, incarnation))?.Usage();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // the process ended and its cgroup went meanwhile
        }
    }

    public void RemoveEnded()
    {
        try
        {
            cgroups?.RemoveEnded();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the node's cgroup directory went; the next start names the problem
        }
    }

    /// <summary>
    /// Runs <paramref name="ended"/> once process <paramref name="pid"/> has ended, watched through a
    /// Process object of its own: the caller owns the one Start returns, and disposing it stops its wait.
    /// </summary>
    private static void WhenEnded(int pid, Action ended)
    {
        Process watch;
        try
        {
            watch = Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            ended(); // already gone
            return;
        }
        _ = watch.WaitForExitAsync().ContinueWith(_ =>
        {
            watch.Dispose();
            ended();
        });
    }

    /// <summary>The process has ended: its cgroup goes, and its channel socket and pid file, which it cannot remove once it runs as a user of its own.</summary>
    private void Ended((string, long) key, VmCgroup? cgroup, VmProcessFiles files)
    {
        if (cgroup is not null)
        {
            _cgroups.TryRemove(KeyValuePair.Create(key, cgroup));
            cgroups!.Remove(cgroup);
        }
        foreach (string file in new[] { files.ChannelSocket, files.PidFile })
        {
            try
            {
                File.Delete(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
