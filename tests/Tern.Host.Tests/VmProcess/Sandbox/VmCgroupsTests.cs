using System.Globalization;
using Tern.Host.VmProcess.Sandbox;

namespace Tern.Host.Tests.VmProcess.Sandbox;

/// <summary>VM cgroups made in a directory that stands in for the cgroup mounts (regular files where cgroupfs has control files).</summary>
public sealed class VmCgroupsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"tern-cgroups-{Guid.NewGuid():N}");
    private readonly List<string> _said = [];

    public VmCgroupsTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Dir(string relative) => Path.Combine(_root, relative);

    private string Read(string relative) => File.ReadAllText(Dir(relative));

    private CgroupHost V1() => new(CgroupVersion.V1,
    [
        new CgroupHierarchy(Dir("memory"), "/process_api/bdf4", ["memory"]),
        new CgroupHierarchy(Dir("cpu"), "/", ["cpu"]),
        new CgroupHierarchy(Dir("cpuacct"), "/", ["cpuacct"]),
    ]);

    private static readonly VmCgroupLimits Limits = new(MemoryBytes: 300 << 20, CpuQuotaMicros: 150_000);

    [Fact]
    public void On_v1_a_vm_cgroup_lies_under_tern_NODE_in_the_node_s_own_cgroup_of_each_hierarchy_with_its_limits()
    {
        var cgroups = VmCgroups.Open(V1(), "n1", "auto", _said.Add)!;

        var cgroup = cgroups.Create("a", "7", Limits);
        cgroup.Add(4321);

        Assert.Equal([Dir("memory/process_api/bdf4/tern/n1/vm-a.7"), Dir("cpu/tern/n1/vm-a.7"), Dir("cpuacct/tern/n1/vm-a.7")], cgroup.Directories.Select(d => d.Directory));
        Assert.Equal("314572800", Read("memory/process_api/bdf4/tern/n1/vm-a.7/memory.limit_in_bytes"));
        Assert.Equal("100000", Read("cpu/tern/n1/vm-a.7/cpu.cfs_period_us"));
        Assert.Equal("150000", Read("cpu/tern/n1/vm-a.7/cpu.cfs_quota_us"));
        Assert.All(cgroup.Directories, d => Assert.Equal("4321", File.ReadAllText(Path.Combine(d.Directory, "cgroup.procs"))));
        Assert.Empty(_said);
    }

    [Fact]
    public void An_absolute_parent_is_taken_from_each_hierarchy_s_root()
    {
        var cgroup = VmCgroups.Open(V1(), "n1", "/machine/tern", _said.Add)!.Create("a", "7", Limits with { CpuQuotaMicros = null });
        Assert.Equal(Dir("memory/machine/tern/n1/vm-a.7"), cgroup.Directories[0].Directory);
        Assert.False(File.Exists(Dir("cpu/machine/tern/n1/vm-a.7/cpu.cfs_quota_us")));
    }

    [Fact]
    public void The_usage_is_the_memory_charged_and_the_cpu_time_in_nanoseconds()
    {
        var v1 = VmCgroups.Open(V1(), "n1", "auto", _said.Add)!.Create("a", "7", Limits);
        File.WriteAllText(Path.Combine(v1.Directories[0].Directory, "memory.usage_in_bytes"), "52428800\n");
        File.WriteAllText(Path.Combine(v1.Directories[2].Directory, "cpuacct.usage"), "1234567890\n");
        Assert.Equal(new Tern.Actors.Vm.Process.VmProcessUsage(52428800, 1234567890), v1.Usage());

        var v2 = new VmCgroup("vm", CgroupVersion.V2, [(Dir("v2/vm"), ["memory", "cpu"])]);
        Directory.CreateDirectory(Dir("v2/vm"));
        File.WriteAllText(Dir("v2/vm/memory.current"), "1048576\n");
        File.WriteAllText(Dir("v2/vm/cpu.stat"), "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
        Assert.Equal(new Tern.Actors.Vm.Process.VmProcessUsage(1048576, 2_500_000), v2.Usage());
    }

    [Fact]
    public void On_v2_memory_and_cpu_are_enabled_down_to_the_node_which_first_leaves_its_own_cgroup_for_a_leaf()
    {
        // The unified hierarchy as the kernel would show it: the node's service cgroup holds the node.
        foreach (string dir in new[] { "svc", "svc/tern", "svc/tern/n1" })
        {
            Directory.CreateDirectory(Dir(dir));
            File.WriteAllText(Dir($"{dir}/cgroup.controllers"), "cpu io memory pids\n");
        }
        File.WriteAllText(Dir("svc/cgroup.procs"), "777\n");
        File.WriteAllText(Dir("svc/tern/cgroup.subtree_control"), "memory\n");
        var host = new CgroupHost(CgroupVersion.V2, [new CgroupHierarchy(_root, "/svc", ["memory", "cpu"])]);

        var cgroup = VmCgroups.Open(host, "n1", "auto", _said.Add)!.Create("a", "7", Limits);

        Assert.Equal(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), Read("svc/tern/n1/node/cgroup.procs"));
        Assert.Equal("moved into cgroup /svc/tern/n1/node, so that /svc may hand the memory and cpu controllers on to VM processes", Assert.Single(_said));
        Assert.Equal("+memory +cpu", Read("svc/cgroup.subtree_control"));
        Assert.Equal("+cpu", Read("svc/tern/cgroup.subtree_control")); // memory was enabled already
        Assert.Equal("+memory +cpu", Read("svc/tern/n1/cgroup.subtree_control"));
        Assert.Equal("314572800", Read("svc/tern/n1/vm-a.7/memory.max"));
        Assert.Equal("150000 100000", Read("svc/tern/n1/vm-a.7/cpu.max"));
        Assert.Equal([Dir("svc/tern/n1/vm-a.7")], cgroup.Directories.Select(d => d.Directory));
    }

    [Fact]
    public void On_v2_a_parent_without_the_memory_controller_means_no_cgroups_said_once()
    {
        Directory.CreateDirectory(Dir("svc"));
        File.WriteAllText(Dir("svc/cgroup.controllers"), "cpu pids\n");
        var host = new CgroupHost(CgroupVersion.V2, [new CgroupHierarchy(_root, "/", ["memory", "cpu"])]);

        Assert.Null(VmCgroups.Open(host, "n1", "/svc", _said.Add));
        Assert.Contains("the memory controller is not available in", Assert.Single(_said));
        Assert.EndsWith("VM processes run without cgroups", _said[0]);
    }

    [Fact]
    public void A_host_without_cgroups_or_where_the_node_may_not_make_them_runs_vm_processes_without_and_says_so()
    {
        Assert.Null(VmCgroups.Open(null, "n1", "auto", _said.Add));
        File.WriteAllText(Dir("memory"), "a file where the hierarchy should be");
        Assert.Null(VmCgroups.Open(V1(), "n1", "auto", _said.Add));

        Assert.Equal("this host has no cgroup memory controller (v1 or v2): VM processes run without cgroups", _said[0]);
        Assert.StartsWith($"cannot make cgroups under {Dir("memory/process_api/bdf4/tern/n1")}", _said[1]);
    }

    [Fact]
    public void A_vm_cgroup_an_earlier_run_left_empty_is_removed_when_the_node_starts()
    {
        Directory.CreateDirectory(Dir("memory/process_api/bdf4/tern/n1/vm-a.3"));
        Directory.CreateDirectory(Dir("memory/process_api/bdf4/tern/n1/node"));
        Directory.CreateDirectory(Dir("memory/process_api/bdf4/tern/n2/vm-b.4")); // another node's

        VmCgroups.Open(V1(), "n1", "auto", _said.Add);

        Assert.False(Directory.Exists(Dir("memory/process_api/bdf4/tern/n1/vm-a.3")));
        Assert.True(Directory.Exists(Dir("memory/process_api/bdf4/tern/n1/node")));
        Assert.True(Directory.Exists(Dir("memory/process_api/bdf4/tern/n2/vm-b.4")));
    }

    [Fact]
    public void Making_a_vm_cgroup_sweeps_away_those_an_earlier_run_left_once_ended_but_never_one_of_its_own_or_a_newer_one()
    {
        // An earlier run's VM process still runs at start: the kernel refuses to remove its cgroup (here: a file in the way).
        Directory.CreateDirectory(Dir("cpu/tern/n1/vm-old.3"));
        File.WriteAllText(Dir("cpu/tern/n1/vm-old.3/busy"), "");
        var cgroups = VmCgroups.Open(V1(), "n1", "auto", _said.Add)!;
        Assert.True(Directory.Exists(Dir("cpu/tern/n1/vm-old.3")));
        var none = new VmCgroupLimits(null, null); // no control files written: an empty directory, as a fresh cgroup looks to rmdir
        var first = cgroups.Create("a", "7", none);
        File.Delete(Dir("cpu/tern/n1/vm-old.3/busy")); // that process has ended since
        Directory.CreateDirectory(Dir("cpu/tern/n1/vm-c.9")); // another live node of the same name made it, its process not yet in

        var second = cgroups.Create("b", "8", none);

        Assert.False(Directory.Exists(Dir("cpu/tern/n1/vm-old.3")));
        Assert.True(Directory.Exists(Dir("cpu/tern/n1/vm-c.9")));
        Assert.All(first.Directories.Concat(second.Directories), d => Assert.True(Directory.Exists(d.Directory), d.Directory));
        Assert.True(cgroups.Remove(first));
        Assert.All(first.Directories, d => Assert.False(Directory.Exists(d.Directory)));
    }

    [Fact]
    public void The_cgroup_holding_an_incarnation_s_process_is_found_whatever_its_attempt_and_whoever_made_it()
    {
        var cgroups = VmCgroups.Open(V1(), "n1", "auto", _said.Add)!;
        // An earlier run of the node made these: incarnation 7's first boot failed, its second runs; "a-7" is another VM.
        foreach (var (leaf, procs) in new[] { ("vm-a.7", ""), ("vm-a.7-1", "4321\n"), ("vm-a-7.1", "999\n"), ("vm-a.70", "888\n") })
        {
            Directory.CreateDirectory(Dir($"memory/process_api/bdf4/tern/n1/{leaf}"));
            File.WriteAllText(Dir($"memory/process_api/bdf4/tern/n1/{leaf}/cgroup.procs"), procs);
        }

        Assert.Equal("vm-a.7-1", cgroups.Find("a", 7)?.Name);
        Assert.Equal([Dir("memory/process_api/bdf4/tern/n1/vm-a.7-1"), Dir("cpu/tern/n1/vm-a.7-1"), Dir("cpuacct/tern/n1/vm-a.7-1")],
            cgroups.Find("a", 7)!.Directories.Select(d => d.Directory));
        Assert.Equal("vm-a-7.1", cgroups.Find("a-7", 1)?.Name);
        Assert.Null(cgroups.Find("a", 8));
    }
}
