using System.Globalization;
using System.Text.Json;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.VmProcess.Sandbox;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// Issue 17: a cluster VM process is confined as Firecracker's jailer confines Firecracker — a
/// cgroup of its own with a memory limit, no new privileges, a seccomp filter from its boot on,
/// and, when the node is configured so, a user of its own that can read nothing of the node's.
/// </summary>
public sealed class VmSandboxTests
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);
    private const string Ticks = "mode=ticks tick_ms=100 busy=5";
    private const ulong GuestRam = 48UL << 20;
    private const ulong Overhead = 256UL << 20; // tern.host.vm-memory-overhead's default

    private static void CreateRunning(ClusterNode node, string name)
    {
        var created = node.Ctl("create", name, "--kernel", Repo.TestKernel, "--append", Ticks, "--memory", "48M");
        Assert.True(created.ExitCode == 0, $"tern ctl create {name}:\n{created.Output}");
        node.WaitFor(() => TestKernel.Ticks(node.ConsoleLines(name)).Count, n => n >= 2, VmTimeout, $"{name} ticking");
    }

    private static long Incarnation(ClusterNode node, string name) =>
        node.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == name).GetProperty("incarnation").GetInt64();

    private static string Status(int pid, string field) =>
        File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal))[(field.Length + 1)..].Trim();

    private static JsonElement View(ClusterNode node, string name) => node.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == name);

    /// <summary>The memory and CPU the host reports for the VM, once a report shows both.</summary>
    private static (ulong Used, double Cpu) Usage(ClusterNode node, string name)
    {
        var view = node.WaitFor(() => View(node, name),
            v => v.TryGetProperty("memoryUsedBytes", out var used) && used.ValueKind == JsonValueKind.Number
                && v.TryGetProperty("cpuLoad", out var cpu) && cpu.ValueKind == JsonValueKind.Number && cpu.GetDouble() > 0,
            VmTimeout, $"{name}'s measured usage");
        return (view.GetProperty("memoryUsedBytes").GetUInt64(), view.GetProperty("cpuLoad").GetDouble());
    }

    [KvmRootFact]
    public void A_vm_process_runs_in_a_cgroup_of_its_own_limited_to_its_ram_plus_the_overhead_and_the_cgroup_goes_with_it()
    {
        using var dir = new TempDir();
        // A window wide enough for the restart below on a loaded machine.
        File.WriteAllText(dir.File("window.conf"), "tern.host.node-gone-after = 20s\n");
        using var node = new ClusterNode("n1", dir.File("data"), "--config", dir.File("window.conf"));
        CreateRunning(node, "a");
        int pid = Assert.Single(node.VmProcessIds("a"));
        long incarnation = Incarnation(node, "a");

        // The VM process's own view of its cgroups, read as the node reads its own.
        var host = CgroupHost.Parse(File.ReadAllText("/proc/self/mountinfo"), File.ReadAllText($"/proc/{pid}/cgroup"), p => File.Exists(p) ? File.ReadAllText(p) : null);
        Assert.NotNull(host);
        var memory = host.Hierarchies.Single(h => h.Controllers.Contains("memory"));
        Assert.EndsWith($"/tern/n1/vm-a.{incarnation}", memory.NodeCgroup);
        string cgroup = memory.Directory(memory.NodeCgroup);
        string limit = File.ReadAllText(Path.Combine(cgroup, host.Version == CgroupVersion.V2 ? "memory.max" : "memory.limit_in_bytes")).Trim();
        Assert.Equal((GuestRam + Overhead).ToString(CultureInfo.InvariantCulture), limit);
        if (host.Version == CgroupVersion.V1)
            Assert.All(host.Hierarchies, h => Assert.EndsWith($"/tern/n1/vm-a.{incarnation}", h.NodeCgroup)); // cpu and cpuacct too

        // The host's figures for the VM are its cgroup's: memory charged (what the process touched
        // since it joined: the guest's RAM and its own heap, a few MiB for this guest), and CPU time (the guest busies 5 ms in each 100 ms tick, plus its VM process).
        string usageFile = Path.Combine(cgroup, host.Version == CgroupVersion.V2 ? "memory.current" : "memory.usage_in_bytes");
        ulong Charged() => ulong.Parse(File.ReadAllText(usageFile).Trim(), CultureInfo.InvariantCulture);
        // The host reports what it read a moment ago, and just after boot the charge still moves
        // (a run saw 17.3 MB reported, 10.6 MB in the file a little later): wait until a report
        // and the file agree, which they never would if the figure were not the cgroup's.
        var (used, cpu) = node.WaitFor(() => (Usage(node, "a"), Charged()), u => Math.Abs((double)u.Item1.Used - u.Item2) <= u.Item2 * 0.25,
            VmTimeout, "the reported memory matching the cgroup's charge").Item1;
        Assert.InRange(used, 1UL << 20, GuestRam + Overhead);
        // Measured soon after boot, the process's own threads (JIT, device setup) may use more than
        // one core for a moment, and the vCPU's run-queue wait adds to it: at most every core and the vCPU.
        Assert.InRange(cpu, 0.01, Environment.ProcessorCount + 1.0);

        // A node that restarts re-adopts the process, measures it from the cgroup its earlier run
        // made, and removes that cgroup once the process ends.
        node.Process.KillAlone();
        node.Restart();
        node.WaitFor(() => string.Join("\n", node.Ctl("events").Stdout), e => e.Contains("vm a re-adopted on n1"), VmTimeout, "a re-adopted");
        Assert.Equal([pid], node.VmProcessIds("a"));
        Assert.InRange(Usage(node, "a").Used, 1UL << 20, GuestRam + Overhead);

        Assert.Equal(0, node.Ctl("stop", "a").ExitCode);
        node.WaitFor(() => Directory.Exists(cgroup), exists => !exists, VmTimeout, "the VM's cgroup removed once its process ended");
    }

    [KvmFact]
    public void A_vm_process_has_no_new_privileges_and_a_seccomp_filter_and_a_forbidden_call_kills_it()
    {
        using var dir = new TempDir();
        // The probe runs a second after the sandbox holds: an allowed call, then execve, which must never return.
        var probe = new Dictionary<string, string> { [SandboxProbe.Variable] = "syscall:getpid;syscall:execve" };
        using var node = new ClusterNode(ClusterNode.FreePort(), "n1", dir.File("data"), probe);
        var created = node.Ctl("create", "a", "--kernel", Repo.TestKernel, "--append", Ticks, "--memory", "48M");
        Assert.True(created.ExitCode == 0, created.Output);
        int pid = node.WaitFor(() => node.VmProcessIds("a"), p => p.Count == 1, VmTimeout, "a's VM process").Single();
        node.WaitFor(() => File.Exists($"/proc/{pid}/status") ? Status(pid, "Seccomp") : "gone", s => s != "0", VmTimeout, "the filter installed");

        Assert.Equal("1", Status(pid, "NoNewPrivs"));
        Assert.Equal("2", Status(pid, "Seccomp")); // SECCOMP_MODE_FILTER
        Assert.Equal("1", Status(pid, "Seccomp_filters"));

        var events = node.WaitFor(() => string.Join("\n", node.Ctl("events").Stdout), e => e.Contains("vm a ended on n1"), VmTimeout, "a's end reported");
        Assert.Contains("vm a ended on n1: the VM process ended unexpectedly (killed by signal 31)", events); // SIGSYS
        Assert.Contains("tern vm a: sandbox probe syscall:getpid: succeeded", node.Process.Stderr);
        Assert.DoesNotContain("sandbox probe syscall:execve", node.Process.Stderr);
    }

    [KvmRootFact]
    public void With_a_uid_base_a_vm_process_becomes_its_own_user_and_can_open_nothing_of_the_node_s()
    {
        using var dir = new TempDir();
        string data = dir.File("data");
        string config = dir.File("node.conf");
        File.WriteAllText(config, "tern.host.vm-uid-base = 200000\n");
        string ctlJson = Path.Combine(data, "ctl.json");
        var probe = new Dictionary<string, string> { [SandboxProbe.Variable] = $"open:{ctlJson};open:{Path.Combine(data, "vms")};open:{Repo.TestKernel}" };
        using var node = new ClusterNode(ClusterNode.FreePort(), "n1", data, probe, "--config", config);
        CreateRunning(node, "a");
        int pid = Assert.Single(node.VmProcessIds("a"));
        string uid = (200000 + Incarnation(node, "a")).ToString(CultureInfo.InvariantCulture);

        Assert.Equal($"{uid}\t{uid}\t{uid}\t{uid}", Status(pid, "Uid"));
        Assert.Equal($"{uid}\t{uid}\t{uid}\t{uid}", Status(pid, "Gid"));
        Assert.Equal(Tern.Kvm.HostPath.GroupOf("/dev/kvm").ToString(CultureInfo.InvariantCulture), Status(pid, "Groups"));
        string said = node.WaitFor(() => node.Process.Stderr, e => e.Contains($"open:{Repo.TestKernel}:"), VmTimeout, "the probes' answers");
        Assert.Contains($"tern vm a: sandbox probe open:{ctlJson}: failed with errno 13", said); // EACCES
        Assert.Contains($"tern vm a: sandbox probe open:{Path.Combine(data, "vms")}: failed with errno 13", said);
        // Not even a world-readable file: its root is an empty directory it may not look into.
        Assert.Contains($"tern vm a: sandbox probe open:{Repo.TestKernel}: failed with errno 13", said);
        Assert.Equal(Path.Combine(data, "vms", Incarnation(node, "a").ToString(CultureInfo.InvariantCulture), "root"), new DirectoryInfo($"/proc/{pid}/root").LinkTarget);

        // The guest never noticed: it ticks on as another user, and ends when asked.
        int ticks = TestKernel.Ticks(node.ConsoleLines("a")).Count;
        node.WaitFor(() => TestKernel.Ticks(node.ConsoleLines("a")).Count, n => n > ticks + 3, VmTimeout, "a ticking on");
        Assert.Equal(0, node.Ctl("stop", "a").ExitCode);
        node.WaitFor(() => node.VmProcessIds("a").Count, n => n == 0, VmTimeout, "a's process gone");
    }

    [KvmPostgresFact(Root = true)]
    public void Vm_processes_of_their_own_users_migrate_over_tls_and_the_guest_goes_on()
    {
        // Both sides confined: the source sends as one user, the destination receives as another, and
        // neither holds a key: each node carries its VM process's migration over TLS (MigrationTlsRelay).
        using var nodes = new TlsNodePair("tern.host.vm-uid-base = 300000\n");
        var guest = nodes.StartSoak("a");
        long before = Incarnation(nodes.N1, "a");
        int sourcePid = Assert.Single(VmProcessesOf(nodes, guest.From));
        Assert.Equal((300000 + before).ToString(CultureInfo.InvariantCulture), Status(sourcePid, "Uid").Split('\t')[0]);
        string cmdline = File.ReadAllText($"/proc/{sourcePid}/cmdline");
        Assert.DoesNotContain(nodes.Dir.File("n1-tls"), cmdline); // no TLS directory handed to it
        Assert.DoesNotContain(nodes.Dir.File("n2-tls"), cmdline);

        var migrated = nodes.N1.Ctl("migrate", "a", "--to", guest.To);
        Assert.True(migrated.ExitCode == 0, migrated.Output);
        nodes.AssertMovedAndWentOn(guest, "across a TLS migration between sandboxed processes");
        // The target's VM process listened on a local abstract socket; its node took the TLS at the port the source was told.
        string targetCmdline = File.ReadAllText($"/proc/{Assert.Single(VmProcessesOf(nodes, guest.To))}/cmdline");
        Assert.Contains("-incoming\0unix:@tern/", targetCmdline);
        long after = Incarnation(nodes.N1, "a");
        Assert.Equal((300000 + after).ToString(CultureInfo.InvariantCulture), Status(Assert.Single(VmProcessesOf(nodes, guest.To)), "Uid").Split('\t')[0]);
    }

    private static IReadOnlyList<int> VmProcessesOf(TlsNodePair nodes, string host) => (host == "n1" ? nodes.N1 : nodes.N2).VmProcessIds("a");
}
