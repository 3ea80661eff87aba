using System.Text;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Host;
using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Vm;

namespace Tern.Actors.Tests.Cluster;

/// <summary>The host's pure parts: /proc parsers, the console ring, the fencing rule, the definition's machine.</summary>
public sealed class HostSideTests
{
    [Fact]
    public void Proc_stat_counts_idle_and_iowait_as_idle()
    {
        var earlier = ProcFiles.ParseStat("cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4 5\n");
        var later = ProcFiles.ParseStat("cpu  250 0 150 750 100 0 0 0 0 0\n");
        Assert.Equal(new CpuTicks(200, 1000), earlier);
        Assert.Equal(0.8, later.LoadSince(earlier), 3);
    }

    [Fact]
    public void Proc_meminfo_gives_total_and_available_in_bytes()
    {
        var (total, available) = ProcFiles.ParseMeminfo("MemTotal:       24684544 kB\nMemFree:  1 kB\nMemAvailable:   24257536 kB\n");
        Assert.Equal((24684544UL * 1024, 24257536UL * 1024), (total, available));
    }

    [Fact]
    public void Schedstat_demand_is_run_time_plus_run_queue_wait()
    {
        Assert.Equal(new ThreadTime(1_230_465_170UL, 803_404_543UL), ProcFiles.ParseSchedstat("1230465170 803404543 207\n"));
        Assert.Throws<FormatException>(() => ProcFiles.ParseSchedstat("12\n"));
    }

    [Fact]
    public void Console_ring_keeps_the_last_bytes_and_tells_a_reader_that_fell_behind()
    {
        var ring = new ConsoleRing(8);
        ring.Write("TICK 1\n"u8);
        var first = ring.Read(0, 100);
        Assert.Equal(("TICK 1\n", 0L, 7L, false), (Encoding.ASCII.GetString(first.Data), first.From, first.Next, first.Truncated));
        ring.Write("TICK 2\nTICK 3\n"u8);
        var behind = ring.Read(first.Next, 100);
        Assert.Equal(("\nTICK 3\n", 13L, 21L, true), (Encoding.ASCII.GetString(behind.Data), behind.From, behind.Next, behind.Truncated));
        Assert.Empty(ring.Read(21, 100).Data);
        Assert.Equal("TI", Encoding.ASCII.GetString(ring.Read(14, 2).Data));
    }

    [Fact]
    public void A_console_ring_continued_from_another_s_snapshot_keeps_its_offsets()
    {
        var source = new ConsoleRing(8);
        source.Write("TICK 1\nTICK 2\n"u8);
        var (written, tail) = source.Snapshot();
        Assert.Equal((14L, "\nTICK 2\n"), (written, Encoding.ASCII.GetString(tail)));

        var moved = new ConsoleRing(16);
        moved.Continue(written, tail);
        moved.Write("TICK 3\n"u8);
        var read = moved.Read(10, 100); // a follower that had read up to "TIC" of "TICK 2"
        Assert.Equal(("K 2\nTICK 3\n", 10L, 21L, false), (Encoding.ASCII.GetString(read.Data), read.From, read.Next, read.Truncated));
        Assert.True(moved.Read(0, 100).Truncated);
        Assert.Throws<InvalidOperationException>(() => moved.Continue(written, tail));
        Assert.Throws<ArgumentException>(() => new ConsoleRing(8).Continue(2, "TICK"u8));
    }

    [Fact]
    public void A_standby_s_console_ring_takes_each_committed_checkpoint_s_history_until_its_guest_writes()
    {
        var standby = new ConsoleRing(16);
        standby.Continue(7, "TICK 1\n"u8);
        standby.Continue(14, "TICK 1\nTICK 2\n"u8); // the next checkpoint's, with more output
        Assert.Equal("TICK 2\n", Encoding.ASCII.GetString(standby.Read(7, 100).Data));
        standby.Write("TICK 3\n"u8); // promoted: its own guest runs
        Assert.Equal(21, standby.Written);
        Assert.Throws<InvalidOperationException>(() => standby.Continue(28, "TICK 4\n"u8));
    }

    [Fact]
    public void Keep_majority_fencing_rule()
    {
        string[] three = ["a", "b", "c"];
        Assert.False(SelfFencing.OnLosingSide(three, [], "b"));
        Assert.False(SelfFencing.OnLosingSide(three, ["c"], "a"));
        Assert.True(SelfFencing.OnLosingSide(three, ["a", "b"], "c"));
        string[] four = ["a", "b", "c", "d"];
        Assert.False(SelfFencing.OnLosingSide(four, ["c", "d"], "a")); // a tie keeps the lowest address
        Assert.True(SelfFencing.OnLosingSide(four, ["a", "b"], "c"));
        Assert.True(SelfFencing.OnLosingSide(three, [], "z")); // not a member any more
    }

    [Fact]
    public void A_definition_maps_onto_a_machine_config_with_its_disks_in_consecutive_slots()
    {
        var d = new VmDefinition("v1", "/k", "/i", "console=ttyS0", 512UL << 20, 2, ["/d0.img", "/d1.img"]);
        var config = d.ToVmConfig();
        Assert.Equal(("v1", 512UL << 20, 2), (config.Name, config.MemoryBytes, config.Vcpus));
        Assert.Equal(new Tern.Devices.Config.BootConfig("/k", "/i", "console=ttyS0"), config.Boot);
        Assert.Equal(["/d0.img", "/d1.img"], config.Drives.Select(x => x.Path));
        Assert.Equal([2, 3], config.BlockDevices.Select(b => (int)b.Address.Slot));
        Assert.Empty(d.Problems());
    }

    [Fact]
    public void Tap_names_fit_an_interface_name_differ_per_nic_instance_and_node_and_read_back()
    {
        var taps = new VmTaps("0123456789abcdef");
        Assert.Equal("t01234501", taps.Name(1, 0));
        Assert.Equal("t0123453z", taps.Name(35, 3));
        string longest = taps.Name(long.MaxValue, 3);
        Assert.True(longest.Length <= VmDefinitionMachine.MaxInterfaceName, longest);
        Assert.True(VmDefinitionMachine.IsInterfaceName(longest));
        var names = new[] { taps.Name(7, 0), taps.Name(7, 1), taps.Name(8, 0), new VmTaps("fedcba9876543210").Name(7, 0) };
        Assert.Equal(names.Length, names.Distinct().Count());
        foreach (long incarnation in new long[] { 0, 1, 36, 123_456_789, 78_364_164_095 })
            Assert.Equal(incarnation, taps.IncarnationOf(taps.Name(incarnation, 2)));
        // Only this node's own names: another node's, a NIC index past the limit, other interfaces.
        Assert.Null(taps.IncarnationOf(new VmTaps("fedcba9876543210").Name(7, 0)));
        Assert.Null(taps.IncarnationOf("t0123454a"));
        Assert.Null(taps.IncarnationOf("t0123450"));
        Assert.Null(taps.IncarnationOf("t0123450A"));
        Assert.Null(taps.IncarnationOf("eth0"));
        Assert.Equal(["t01234505", "t01234515"], taps.For(new VmDefinition("v", "/k", null, "", 64UL << 20, 1, [], null, [new VmNic("a"), new VmNic("b")]), 5));
    }
}
