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
    public const string Append = "mode=soak mib=16 tick_ms=100 check_every=5 blk=1";

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

    /// <summary>Creates the VM (64 MiB, one vCPU, its own disk) through <paramref name="via"/> and starts following its console.</summary>
    public static SoakGuest Create(NetnsCluster cluster, NamespacedNode via, string name)
    {
        string disk = cluster.NewDisk(name);
        var created = via.Ctl("create", name, "--kernel", Repo.TestKernel, "--append", Append, "--memory", "64M", "--smp", "1", "--disk", disk);
        Assert.True(created.ExitCode == 0, $"create {name}: {created.Output}");
        return new SoakGuest(name, disk, via.Start("ctl", "--api", via.Api, "console", name, "--follow"));
    }

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

    /// <summary>The instance wrote its boot marker, and every memory check, sector read back and sector write so far was ok.</summary>
    private void AssertDiskIntact(string[] lines, int incarnation)
    {
        string what = $"{Name} instance {incarnation}:\n{string.Join("\n", lines)}";
        Assert.True(lines.Contains("SOAK blk before=ok"), what);
        Assert.DoesNotContain(lines, l => l.Contains(" BAD", StringComparison.Ordinal));
        Assert.All(lines.Where(l => l.StartsWith("SOAK blk write ", StringComparison.Ordinal)), l => Assert.EndsWith("status=0", l));
        Assert.All(lines.Where(l => l.StartsWith("SOAK blk read ", StringComparison.Ordinal)), l => Assert.EndsWith(" ok", l));
        Assert.All(lines.Where(l => l.StartsWith("SOAK check ", StringComparison.Ordinal)), l => Assert.EndsWith(" ok", l));
    }

    public string Describe() => _follower.Describe();

    public void Dispose() => _follower.Dispose();
}
