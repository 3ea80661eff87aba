using System.Text.Json;
using Tern.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// Issue 18 on a real cluster: three hosts in network namespaces with a PostgreSQL journal; h1
/// holds the manager. A protected soak guest (its memory region checked, its disk log written,
/// ticking) keeps a standby on another host, checkpointed every epoch; the test follows its console
/// from outside, through the cluster, as a user would.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class ProtectedVmTests(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The protection of <paramref name="vm"/> as <c>ctl vms --json</c> through <paramref name="via"/> shows it (state "off" when none).</summary>
    private static (string State, string? Standby, JsonElement Json) Protection(NamespacedNode via, string vm)
    {
        var view = via.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == vm);
        if (!view.TryGetProperty("protection", out var p) || p.ValueKind != JsonValueKind.Object) return ("off", null, view);
        return (p.GetProperty("state").GetString()!, p.GetProperty("standby").ValueKind == JsonValueKind.String ? p.GetProperty("standby").GetString() : null, p);
    }

    [NetnsFact]
    public void A_protected_guest_goes_on_on_its_standby_when_its_host_dies_whole_without_a_reboot_a_repeat_or_a_gap()
    {
        using var cluster = new NetnsCluster(3);
        var (h1, h2) = (cluster[1], cluster[2]);
        var guest = SoakGuest.CreateAllOn(cluster, h2, ["p"], VmTimeout).Single();
        try
        {
            var protect = h1.Ctl("protect", "p", "--standby", "h3", "--epoch", "50ms");
            Assert.True(protect.ExitCode == 0, protect.Output);
            var synced = NetnsCluster.WaitFor(() => Protection(h1, "p"), p => p.State == "protected", VmTimeout, "p protected");
            Assert.Equal("h3", synced.Standby);
            // Protected, the guest still runs and its output still reaches the follower.
            int protectedAt = guest.LastTick;
            NetnsCluster.WaitFor(() => guest.LastTick, t => t >= protectedAt + 20, VmTimeout, "ticks while protected");
            var figures = Protection(h1, "p").Json;
            output.WriteLine($"protected: {figures}");
            Assert.True(figures.GetProperty("committedEpoch").GetInt64() > 0, figures.ToString());

            int lastTickBefore = guest.LastTick;
            var killedAt = DateTime.UtcNow;
            h2.KillWhole();

            var after = NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1)["p"], v => v is { Host: "h3", State: "running" }, VmTimeout, "p running on h3");
            guest.AssertWentOnAfterMove(h1, lastTickBefore, VmTimeout);
            var firstNew = guest.Incarnation(0).Select(l => (l.At, Ticks: TestKernel.Ticks([l.Line])))
                .First(l => l.Ticks.Count == 1 && l.Ticks[0] > lastTickBefore && l.At > killedAt);
            output.WriteLine($"SIGKILL of h2 (whole) -> p ticking on h3: {(firstNew.At - killedAt).TotalMilliseconds:0} ms (TICK {firstNew.Ticks[0]}, the follower polls every 300 ms)");
            output.WriteLine(string.Join("\n", h1.Ctl("events").Stdout.TakeLast(10)));
            Assert.Equal("h3", after.Host);
            // Its standby is gone with the promotion; h1 is the only host left for a new one.
            var again = NetnsCluster.WaitFor(() => Protection(h1, "p"), p => p.State == "protected", VmTimeout, "p protected again");
            Assert.Equal("h1", again.Standby);
        }
        catch
        {
            output.WriteLine($"the manager's events:\n{string.Join("\n", h1.Ctl("events").Stdout)}\n{cluster.Describe()}");
            throw;
        }
        finally
        {
            guest.Dispose();
        }
    }
}
