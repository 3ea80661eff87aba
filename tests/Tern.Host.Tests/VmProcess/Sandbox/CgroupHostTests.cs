using Tern.Host.VmProcess.Sandbox;

namespace Tern.Host.Tests.VmProcess.Sandbox;

public sealed class CgroupHostTests
{
    /// <summary>This development machine: v1 memory, cpu and cpuacct apart, the node's memory cgroup nested; v2 holds hugetlb only.</summary>
    private const string V1Mounts = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """;

    private const string V1Membership = """
        8:pids:/
        4:memory:/process_api/bdf4
        2:cpuacct:/
        1:cpu:/
        0::/
        """;

    private static string? Controllers(string path, string controllers) => path.EndsWith("cgroup.controllers") ? controllers : null;

    [Fact]
    public void A_v1_host_gives_its_memory_cpu_and_cpuacct_hierarchies_with_the_node_s_place_in_each()
    {
        var host = CgroupHost.Parse(V1Mounts, V1Membership, p => Controllers(p, "hugetlb\n"));

        Assert.NotNull(host);
        Assert.Equal(CgroupVersion.V1, host.Version);
        Assert.Equal(
            [("/sys/fs/cgroup/cpu", "/", "cpu"), ("/sys/fs/cgroup/cpuacct", "/", "cpuacct"), ("/sys/fs/cgroup/memory", "/process_api/bdf4", "memory")],
            host.Hierarchies.Select(h => (h.MountPoint, h.NodeCgroup, string.Join(',', h.Controllers))));
        Assert.Equal("/sys/fs/cgroup/memory/process_api/bdf4", host.Hierarchies[2].Directory("/process_api/bdf4"));
    }

    [Fact]
    public void Cpu_and_cpuacct_mounted_together_are_one_hierarchy()
    {
        var host = CgroupHost.Parse("""
            25 22 0:22 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
            26 22 0:23 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
            """, "3:cpu,cpuacct:/user.slice\n2:memory:/user.slice\n", _ => null);

        Assert.Equal([["cpu", "cpuacct"], ["memory"]], host!.Hierarchies.Select(h => h.Controllers.ToArray()));
        Assert.All(host.Hierarchies, h => Assert.Equal("/user.slice", h.NodeCgroup));
    }

    [Fact]
    public void A_v2_host_whose_unified_hierarchy_holds_memory_gives_that_alone()
    {
        var host = CgroupHost.Parse(
            "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n",
            "0::/system.slice/tern-node.service\n",
            p => p == "/sys/fs/cgroup/cgroup.controllers" ? "cpuset cpu io memory hugetlb pids rdma misc\n" : null);

        Assert.Equal(CgroupVersion.V2, host!.Version);
        var unified = Assert.Single(host.Hierarchies);
        Assert.Equal(("/sys/fs/cgroup", "/system.slice/tern-node.service"), (unified.MountPoint, unified.NodeCgroup));
    }

    [Fact]
    public void A_mount_of_a_subtree_is_read_relative_to_its_root_and_one_that_does_not_reach_the_node_is_left_out()
    {
        var host = CgroupHost.Parse("""
            40 30 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
            41 30 0:29 /docker/other /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu
            """, "4:memory:/docker/abc/inner\n1:cpu:/docker/abc\n", _ => null);

        var memory = Assert.Single(host!.Hierarchies);
        Assert.Equal(("/sys/fs/cgroup/memory", "/inner"), (memory.MountPoint, memory.NodeCgroup));
    }

    [Fact]
    public void A_host_without_a_memory_controller_has_no_cgroups_for_vm_processes()
    {
        Assert.Null(CgroupHost.Parse("32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n",
            "1:cpu:/\n0::/\n", p => Controllers(p, "hugetlb")));
        Assert.Null(CgroupHost.Parse("", "", _ => null));
    }

    [Fact]
    public void A_mount_point_with_a_space_is_unescaped()
    {
        var host = CgroupHost.Parse(@"35 31 0:32 / /mnt/cg\040mem rw - cgroup cgroup rw,memory" + "\n", "4:memory:/\n", _ => null);
        Assert.Equal("/mnt/cg mem", host!.Hierarchies[0].MountPoint);
    }
}
