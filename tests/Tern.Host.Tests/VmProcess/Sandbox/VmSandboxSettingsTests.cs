using Akka.Configuration;
using Tern.Host.Node;
using Tern.Host.VmProcess.Sandbox;

namespace Tern.Host.Tests.VmProcess.Sandbox;

public sealed class VmSandboxSettingsTests
{
    private static Config Shipped() =>
        NodeConfig.Build(new NodeOptions("h1", ("127.0.0.1", 7741), [], null, null, "/var/lib/tern/h1", null, []), NodeDatabase.From(null, "/d"));

    private static VmSandboxSettings With(string hocon) => VmSandboxSettings.From(ConfigurationFactory.ParseString(hocon).WithFallback(Shipped()));

    [Fact]
    public void By_default_a_vm_process_is_sandboxed_becomes_a_user_of_its_own_and_may_use_its_ram_plus_256_mib()
    {
        var settings = VmSandboxSettings.From(Shipped());
        Assert.Equal(new VmSandboxSettings(true, new VmUserRange(VmUserRange.AutoBase, 65536) { Automatic = true }, "auto", 256UL << 20, null), settings);
        Assert.Null(With("tern.host.vm-uid-base = off").Users);
    }

    [Fact]
    public void Each_key_reads_as_node_conf_documents_it()
    {
        var settings = With("""
            tern.host { vm-sandbox = off, vm-uid-base = 100000, vm-uid-count = 1000, vm-cgroup-parent = "/machine/tern/",
                        vm-memory-overhead = 64MiB, vm-cpu-quota = 1.5 }
            """);
        Assert.Equal(new VmSandboxSettings(false, new VmUserRange(100000, 1000), "/machine/tern", 64UL << 20, 1.5), settings);
        Assert.Null(With("tern.host.vm-memory-overhead = off").MemoryOverheadBytes);
    }

    [Theory]
    [InlineData("tern.host.vm-cgroup-parent = tern", "tern.host.vm-cgroup-parent must be 'auto' or an absolute cgroup path")]
    [InlineData("tern.host.vm-cgroup-parent = \"/a/../b\"", "tern.host.vm-cgroup-parent must be 'auto' or an absolute cgroup path")]
    [InlineData("tern.host.vm-cpu-quota = lots", "tern.host.vm-cpu-quota must be 'off' or CPUs per vCPU in 0.01..64, not 'lots'")]
    [InlineData("tern.host.vm-cpu-quota = 0", "tern.host.vm-cpu-quota must be 'off' or CPUs per vCPU")]
    [InlineData("tern.host.vm-uid-base = many", "tern.host.vm-uid-base must be 'auto', 'off' or a number, not 'many'")]
    [InlineData("tern.host.vm-uid-base = 0", "tern.host.vm-uid-base 0 and vm-uid-count 65536 must give uids in 1..4294967294 that leave out 65534")]
    [InlineData("tern.host.vm-uid-base = 1000", "tern.host.vm-uid-base 1000 and vm-uid-count 65536 must give uids")] // 65534 (nobody) lies in the range
    [InlineData("tern.host.vm-uid-base = 4294967000", "tern.host.vm-uid-base 4294967000 and vm-uid-count 65536 must give uids")]
    public void A_bad_value_is_refused_by_name(string hocon, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => With(hocon));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void Each_incarnation_gets_the_next_uid_of_the_range_and_the_range_wraps()
    {
        var users = new VmUserRange(100000, 1000);
        Assert.Equal(100000u, users.For(0));
        Assert.Equal(100007u, users.For(7));
        Assert.Equal(100007u, users.For(1007));
        Assert.Equal(100999u, users.For(999));
    }
}
