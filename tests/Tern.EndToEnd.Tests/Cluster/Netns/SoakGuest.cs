using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// A VM running the test kernel's soak mode with a disk log (tests/guest/README.md, mode=soak), and
/// a <c>ctl console --follow</c> through one node that keeps following it across restarts on other
/// hosts, each line stamped with its arrival time. Each instance of the guest begins with its
/// "SOAK filled" line, so the output splits into incarnations.
/// </summary>
public sealed class SoakGuest : IDisposable
{
    /// <summary>
    /// The soak command line: ticks every 100 ms, the <paramref name="mib"/> MiB region checked and
    /// the disk log written every fifth. Between ticks the guest spins 5% of the period and halts
    /// the rest, as an idle VM does: four guests spinning their vCPUs would hold both of a 2-core
    /// host's cores, and every node, follower and <c>ctl</c> call would wait behind them.
    /// </summary>
    public static string AppendFor(int mib) => $"mode=soak mib={mib} tick_ms=100 check_every=5 busy=5 blk=1";

    public static readonly string Append = AppendFor(16);

    private readonly TernProcess _follower;

    /// <summary>
    /// The follower sees output late and in bursts (its 300 ms poll, or an answer held up while the
    /// VM's old host is unreachable), but a fresh guest prints TICK n at n * tick_ms on its own
    /// clock. So TICK 1 was printed no later than any TICK n's arrival minus (n - 1) periods; the
    /// least delayed of the first 20 ticks bounds it within about one poll.
    /// </summary>
    private const int TicksToTime = 20;
    private static readonly TimeSpan TickPeriod = TimeSpan.FromMilliseconds(100);

    private SoakGuest(string name, string disk, TernProcess follower) => (Name, Disk, _follower) = (name, disk, follower);

    public string Name { get; }
    public string Disk { get; }

    /// <summary>Creates the VM (one vCPU, its own disk; by default 64 MiB with a 16 MiB region) through <paramref name="via"/> and starts following its console.</summary>
    public static SoakGuest Create(NetnsCluster cluster, NamespacedNode via, string name, string memory = "64M", int mib = 16)
    {
        string disk = cluster.NewDisk(name);
        var created = via.Ctl("create", name, "--kernel", Repo.TestKernel, "--append", AppendFor(mib), "--memory", memory, "--smp", "1", "--disk", disk + ",rw");
        Assert.True(created.ExitCode == 0, $"create {name}: {created.Output}");
        return new SoakGuest(name, disk, via.Start([.. via.CtlPrefix, "console", name, "--follow"]));
    }

    /// <summary>
    /// Creates guests that all land on <paramref name="target"/>: the other hosts, which must be
    /// empty, are drained while they are created (through <paramref name="via"/>) and then made schedulable again.
    /// Returns once every guest runs there and is healthy.
    /// </summary>
    /// <param name="via">The node the guests are created and followed through (h1 unless given).</param>
    public static SoakGuest[] CreateAllOn(NetnsCluster cluster, NamespacedNode target, IEnumerable<string> names, TimeSpan timeout, string memory = "64M", int mib = 16,
        NamespacedNode? via = null)
    {
        via ??= cluster[1];
        var others = cluster.Nodes.Where(n => n != target).ToArray();
        var guests = new List<SoakGuest>();
        try
        {
            foreach (var other in others) Assert.Equal(0, via.Ctl("drain", other.Name).ExitCode);
            guests.AddRange(names.Select(n => Create(cluster, via, n, memory, mib)));
            foreach (var other in others) Assert.Equal(0, via.Ctl("undrain", other.Name).ExitCode);
            var placed = NetnsCluster.WaitFor(() => NetnsCluster.Vms(via), v => guests.All(g => v[g.Name].State == "running"), timeout, $"{guests.Count} VMs running");
            Assert.All(guests, g => Assert.Equal(target.Name, placed[g.Name].Host));
            foreach (var g in guests) g.WaitHealthy(0, timeout);
            return guests.ToArray();
        }
        catch
        {
            foreach (var g in guests) g.Dispose();
            throw;
        }
    }

    /// <summary>The highest TICK the follower has seen so far (0 before the first).</summary>
    public int LastTick => TestKernel.Ticks(_follower.Stdout).DefaultIfEmpty(0).Max();

    /// <summary>Lines of instance <paramref name="incarnation"/> (0 = the first boot), with arrival times.</summary>
    public IReadOnlyList<(DateTime At, string Line)> Incarnation(int incarnation)
    {
        var lines = _follower.TimedStdout;
        var starts = lines.Select((l, i) => (l, i)).Where(x => x.l.Line.StartsWith("SOAK filled", StringComparison.Ordinal)).Select(x => x.i).ToArray();
        if (incarnation >= starts.Length) return [];
        int end = incarnation + 1 < starts.Length ? starts[incarnation + 1] : lines.Count;
        return lines.Skip(starts[incarnation]).Take(end - starts[incarnation]).ToArray();
    }

    /// <summary>
    /// Waits until instance <paramref name="incarnation"/> has passed its first memory and disk
    /// check and printed <see cref="TicksToTime"/> ticks; returns when it printed TICK 1.
    /// </summary>
    public DateTime WaitHealthy(int incarnation, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var lines = Incarnation(incarnation);
            var ticks = lines.Select(l => (l.At, Tick: TestKernel.Ticks([l.Line]))).Where(t => t.Tick.Count == 1).Select(t => (t.At, N: t.Tick[0])).ToArray();
            if (lines.Any(l => l.Line.StartsWith("SOAK blk read tick=", StringComparison.Ordinal)) && ticks.Length >= TicksToTime)
            {
                AssertDiskIntact(lines.Select(l => l.Line).ToArray(), incarnation);
                return ticks.Min(t => t.At - (t.N - 1) * TickPeriod);
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{Name} instance {incarnation} not ticking with a checked disk within {timeout}\n{_follower.Describe()}");
            Thread.Sleep(50);
        }
    }

    /// <summary>
    /// After a live migration: the guest went on where it was instead of booting again. Its new
    /// host's console (as <paramref name="via"/> shows it, which carries on the output the guest
    /// printed on its old host), once it shows ten ticks past <paramref name="lastTickBefore"/>,
    /// counts on without a gap with every memory check, read-back and write ok; the follower, which
    /// saw both hosts, shows one instance whose ticks never restarted or skipped.
    /// </summary>
    public void AssertWentOnAfterMove(NamespacedNode via, int lastTickBefore, TimeSpan timeout)
    {
        var there = NetnsCluster.WaitFor(() => via.ConsoleLines(Name),
            l => TestKernel.Ticks(l).DefaultIfEmpty(0).Max() >= lastTickBefore + 10, timeout, $"{Name} ticking and logging after its move");
        string what = $"{Name} on its new host:\n{string.Join("\n", there)}";
        Assert.True(there.Count(l => l.StartsWith("SOAK filled", StringComparison.Ordinal)) <= 1, $"{what}\nbooted again");
        TestKernel.AssertTicksContinue(there, what, gaps: 0);
        AssertChecksOk(there, what);
        Assert.Contains(there, l => l.StartsWith("SOAK check ", StringComparison.Ordinal));

        int lastThere = TestKernel.Ticks(there)[^1];
        NetnsCluster.WaitFor(() => LastTick, t => t >= lastThere, timeout, $"the follower of {Name} past TICK {lastThere}");
        Assert.Empty(Incarnation(1));
        TestKernel.AssertTicksContinue(_follower.Stdout, $"{Name}, followed across the move:\n{Describe()}", gaps: 0);
    }

    /// <summary>The instance wrote its boot marker, and every memory check, sector read back and sector write so far was ok.</summary>
    private void AssertDiskIntact(string[] lines, int incarnation)
    {
        string what = $"{Name} instance {incarnation}:\n{string.Join("\n", lines)}";
        Assert.True(lines.Contains("SOAK blk before=ok"), what);
        AssertChecksOk(lines, what);
    }

    private static void AssertChecksOk(IReadOnlyList<string> lines, string what)
    {
        Assert.True(!lines.Any(l => l.Contains(" BAD", StringComparison.Ordinal)), what);
        Assert.All(lines.Where(l => l.StartsWith("SOAK blk write ", StringComparison.Ordinal)), l => Assert.EndsWith("status=0", l));
        Assert.All(lines.Where(l => l.StartsWith("SOAK blk read ", StringComparison.Ordinal)), l => Assert.EndsWith(" ok", l));
        Assert.All(lines.Where(l => l.StartsWith("SOAK check ", StringComparison.Ordinal)), l => Assert.EndsWith(" ok", l));
    }

    public string Describe() => _follower.Describe();

    public void Dispose() => _follower.Dispose();
}
