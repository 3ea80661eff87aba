using Tern.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// Issue 19, acceptance 3: SIGTERM to a node with VMs (a maintenance reboot, a package upgrade)
/// moves every guest live to the other hosts before the node leaves; the node exits 0, and the
/// guests go on with no reboot. Started again, the host takes VMs again.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class NodeShutdownTests(ITestOutputHelper output)
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);

    [NetnsFact]
    public void Sigterm_moves_a_node_s_guests_away_live_before_it_leaves_and_exits_0()
    {
        using var cluster = new NetnsCluster(3);
        var (h1, h2) = (cluster[1], cluster[2]);
        var guests = SoakGuest.CreateAllOn(cluster, h2, ["a", "b"], VmTimeout).ToList();
        try
        {
            var before = guests.ToDictionary(g => g.Name, g => g.LastTick);
            var stoppedAt = DateTime.UtcNow;
            int exit = h2.Terminate(TimeSpan.FromSeconds(90));
            output.WriteLine($"SIGTERM -> h2 exited {exit} after {(DateTime.UtcNow - stoppedAt).TotalSeconds:0.0} s\n{h2.Process.Describe()}");
            Assert.Equal(0, exit);
            Assert.Contains(h2.Process.Stdout, l => l.Contains("its VMs run on other hosts now"));

            // A migration commits before its target reports the guest running (each second): wait for that.
            NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1), vms => guests.All(g => vms[g.Name] is { State: "running", Host: "h1" or "h3" }),
                TimeSpan.FromSeconds(10), "every guest running on h1 or h3");
            foreach (var g in guests) g.AssertWentOnAfterMove(h1, before[g.Name], VmTimeout);
            NetnsCluster.WaitFor(() => NetnsCluster.Hosts(h1)["h2"], s => s == "down", VmTimeout, "h2 gone");

            // Degraded for its shutdown until it is back (its reports while it drained did not end that).
            var events = h1.Ctl("events").Stdout;
            Assert.Contains(events, l => l.Contains("host h2 degraded (its node is shutting down)"));
            Assert.DoesNotContain(events, l => l.Contains("host h2 healthy again"));
            // Back: it takes VMs again.
            h2.Restart();
            NetnsCluster.WaitFor(() => NetnsCluster.Hosts(h1)["h2"], s => s == "up", VmTimeout, "h2 back in service");
            guests.Add(SoakGuest.Create(cluster, h1, "c"));
            var placed = NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1), v => v["c"].State == "running", VmTimeout, "c running");
            Assert.Equal("h2", placed["c"].Host);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new InvalidOperationException($"{e.Message}\n{string.Join("\n", h1.Ctl("events").Stdout.TakeLast(20))}\n{cluster.Describe()}", e);
        }
        finally
        {
            foreach (var g in guests) g.Dispose();
        }
    }
}
