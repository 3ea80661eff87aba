using Tern.Devices.Config;

namespace Tern.Host.Tests.CommandLine;

/// <summary><c>-netdev tap</c> and <c>-device virtio-net-pci</c>: what they build and how bad forms fail.</summary>
public sealed class NetOptionTests : CommandLineTestBed
{
    private const string Tap = "tap,id=n0,ifname=tern0";
    private const string Nic = "virtio-net-pci,netdev=n0,id=net0,bus=pcie.0,addr=0x3";

    [Fact]
    public void Builds_the_netdev_and_the_nic_with_its_mac()
    {
        var config = Parse("-netdev", Tap, "-device", Nic + ",mac=52:54:00:aa:bb:cc");
        Assert.Equal(new NetdevConfig("n0", "tern0"), Assert.Single(config.Netdevs));
        var nic = Assert.Single(config.NetDevices);
        Assert.Equal(("net0", "n0", "pcie.0", new PciAddress(3, 0)), (nic.Id, nic.NetdevId, nic.Bus, nic.Address));
        Assert.Equal("52:54:00:aa:bb:cc", nic.Mac.ToString());
    }

    [Fact]
    public void Without_mac_a_local_52_54_00_address_is_generated()
    {
        var nic = Assert.Single(Parse("-netdev", Tap, "-device", Nic).NetDevices);
        Assert.StartsWith("52:54:00:", nic.Mac.ToString());
    }

    [Fact]
    public void The_mac_enters_the_migration_fingerprint_and_a_difference_is_named()
    {
        var source = MigrationFingerprint.From(Parse("-netdev", Tap, "-device", Nic + ",mac=52:54:00:00:00:01"));
        var here = MigrationFingerprint.From(Parse("-netdev", "tap,id=n0,ifname=other", "-device", Nic + ",mac=52:54:00:00:00:02"));
        var difference = Assert.Single(source.Differences(here)); // the TAP's name may differ, the MAC may not
        Assert.Contains("MAC '52:54:00:00:00:01' on the source, '52:54:00:00:00:02' here", difference);
    }

    [Theory]
    [InlineData("mac=52:54:00:12:34", "bad mac '52:54:00:12:34' for device 'net0'", "six pairs")]
    [InlineData("mac=01:00:5e:00:00:01", "bad mac", "multicast")]
    [InlineData("mac=zz:54:00:12:34:56", "bad mac 'zz:54:00:12:34:56'")]
    [InlineData("vectors=3", "unknown -device key 'vectors'")]
    public void Nic_bad_forms(string extra, params string[] fragments) =>
        Fails(["-netdev", Tap, "-device", Nic + "," + extra], fragments);

    [Fact]
    public void Nic_without_netdev() =>
        Fails(["-device", "virtio-net-pci,id=net0,bus=pcie.0,addr=3"], "device 'net0' is missing 'netdev='");

    [Fact]
    public void Netdev_that_does_not_exist() =>
        Assert.Equal("device 'net0' names netdev 'n0', which no -netdev defines", Fails(["-device", Nic]));

    [Theory]
    [InlineData("user,id=n0", "unsupported netdev type 'user': only tap")]
    [InlineData("tap,ifname=t0", "-netdev is missing 'id='")]
    [InlineData("tap,id=n0", "netdev 'n0' is missing 'ifname='")]
    [InlineData("tap,id=n0,ifname=a-name-longer-than-15", "bad ifname 'a-name-longer-than-15'")]
    [InlineData("tap,id=n0,ifname=a/b", "bad ifname 'a/b'")]
    [InlineData("tap,id=n0,ifname=t0,vhost=on", "vhost=on is not supported")]
    [InlineData("tap,id=n0,ifname=t0,queues=2", "'queues=2'")]
    [InlineData("tap,id=n0,ifname=t0,script=no", "unknown -netdev key 'script'")]
    public void Netdev_bad_forms(string value, string fragment) => Fails(["-netdev", value], fragment);

    [Fact]
    public void Duplicate_netdev_id() =>
        Fails(["-netdev", Tap, "-netdev", "tap,id=n0,ifname=tern1"], "duplicate netdev id 'n0'");

    [Fact]
    public void Two_netdevs_on_one_tap() =>
        Fails(["-netdev", Tap, "-netdev", "tap,id=n1,ifname=tern0"], "both use TAP 'tern0'");

    [Fact]
    public void Duplicate_device_id_across_a_disk_and_a_nic() =>
        Fails(["-drive", $"file={Disk},id=d0", "-device", "virtio-blk-pci,drive=d0,id=net0,bus=pcie.0,addr=2", "-netdev", Tap, "-device", Nic],
            "duplicate device id 'net0'");

    [Fact]
    public void Two_nics_on_one_netdev() =>
        Fails(["-netdev", Tap, "-device", Nic, "-device", "virtio-net-pci,netdev=n0,id=net1,bus=pcie.0,addr=4"],
            "netdev 'n0' is used by both device 'net0' and device 'net1'");

    [Fact]
    public void A_disk_and_a_nic_at_one_address() =>
        Fails(["-drive", $"file={Disk},id=d0", "-device", "virtio-blk-pci,drive=d0,id=b0,bus=pcie.0,addr=3", "-netdev", Tap, "-device", Nic],
            "devices 'b0' and 'net0' are both at pcie.0 addr 0x3");
}
