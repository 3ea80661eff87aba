using System.Text.Json;
using Tern.EndToEnd.Tests.Support;
using Xunit.Abstractions;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// Issue 19, acceptance 1 and 2: three hosts check their own health every second, each reading
/// EDAC counters from a sysfs root of its own that the test writes and running a health command
/// the test controls. A host whose checks fail is degraded: its soak guests move live elsewhere
/// (no reboot, ticks and checks going on) and <c>tern ctl hosts</c> shows why; once its checks
/// have passed for recover-after it takes VMs again.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class HostHealthTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan VmTimeout = TimeSpan.FromSeconds(60);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string SysfsRoot(string host) => _dir.File($"sys-{host}");

    private string CommandFlag(string host) => _dir.File($"failing-{host}");

    /// <summary>Corrected errors counted by host <paramref name="host"/>'s (fake) memory controller.</summary>
    private void SetCorrectedErrors(string host, int count) => EdacCounters.Set(SysfsRoot(host), count);

    /// <summary>
    /// Every host: checks each second; 5 corrected errors within 6 s degrade, one vCPU failure
    /// degrades, and so does its health command while the host's flag file exists; 8 s of good
    /// health recover.
    /// </summary>
    private NetnsCluster Cluster()
    {
        string script = _dir.File("health-check.sh");
        File.WriteAllText(script, "#!/bin/sh\nif [ -e \"$1\" ]; then echo \"disk $2 reports failing sectors\"; exit 1; fi\nexit 0\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var host in new[] { "h1", "h2", "h3" }) SetCorrectedErrors(host, 0);
        return new NetnsCluster(3, perNode: host => $$"""
            tern.host.health {
              interval = 1s
              recover-after = 8s
              sysfs-root = "{{SysfsRoot(host)}}"
              memory-errors { corrected = 5, window = 6s }
              vcpu-failures { threshold = 1, window = 30s }
              # The machine's own pressure is not the test's to set: off.
              pressure { memory = 0, io = 0 }
              command = "{{script}} {{CommandFlag(host)}} sda-{{host}}"
              command-timeout = 5s
            }
            """);
    }

    private static JsonElement HostView(NamespacedNode via, string host) =>
        via.CtlJson("hosts").EnumerateArray().Single(h => h.GetProperty("name").GetString() == host);

    private static string? Degraded(NamespacedNode via, string host) =>
        HostView(via, host).TryGetProperty("degraded", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;

    [NetnsFact]
    public void Memory_errors_past_their_threshold_move_a_host_s_guests_away_live_until_it_recovers()
    {
        using var cluster = Cluster();
        var (h1, h2) = (cluster[1], cluster[2]);
        var guests = SoakGuest.CreateAllOn(cluster, h2, ["a", "b", "c", "d"], VmTimeout).ToList();
        try
        {
            var before = guests.ToDictionary(g => g.Name, g => g.LastTick);
            var raisedAt = DateTime.UtcNow;
            SetCorrectedErrors("h2", 7);

            string why = NetnsCluster.WaitFor(() => Degraded(h1, "h2"), d => d is not null, VmTimeout, "h2 degraded")!;
            output.WriteLine($"h2 degraded {(DateTime.UtcNow - raisedAt).TotalSeconds:0.0} s after its counter rose: {why}");
            Assert.Contains("7 corrected memory errors", why);
            Assert.Equal("draining", NetnsCluster.Hosts(h1)["h2"]);
            Assert.Contains(h1.Ctl("hosts").Stdout, l => l.Contains("degraded") && l.Contains("h2"));
            var moved = NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1), v => guests.All(g => v[g.Name] is { State: "running", Host: not "h2" }),
                VmTimeout, "every guest running off h2");
            output.WriteLine($"h2 empty {(DateTime.UtcNow - raisedAt).TotalSeconds:0.0} s after its counter rose: {string.Join(", ", guests.Select(g => $"{g.Name} on {moved[g.Name].Host}"))}");
            foreach (var g in guests) g.AssertWentOnAfterMove(h1, before[g.Name], VmTimeout);
            Assert.Contains(h1.Ctl("events").Stdout, l => l.Contains("host h2 degraded") && l.Contains("corrected memory errors"));

            // No new error for the window and then recover-after: back in service, and it takes VMs again.
            NetnsCluster.WaitFor(() => NetnsCluster.Hosts(h1)["h2"], s => s == "up", VmTimeout, "h2 back in service");
            Assert.Null(Degraded(h1, "h2"));
            Assert.Contains(h1.Ctl("events").Stdout, l => l.Contains("host h2 healthy again"));
            guests.Add(SoakGuest.Create(cluster, h1, "e"));
            var placed = NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1), v => v["e"].State == "running", VmTimeout, "e running");
            Assert.Equal("h2", placed["e"].Host);
        }
        finally
        {
            foreach (var g in guests) g.Dispose();
        }
    }

    /// <summary>
    /// h1 started the cluster, so it holds the manager: degraded, it is emptied live by the manager
    /// it hosts; stopped (SIGTERM) while that goes on, it finishes moving its guests before it
    /// leaves, the manager moves to h2, and the new manager still knows h1 degraded and why.
    /// </summary>
    [NetnsFact]
    public void The_manager_s_own_host_degraded_is_emptied_and_its_leave_moves_the_manager()
    {
        using var cluster = Cluster();
        var (h1, h2) = (cluster[1], cluster[2]);
        var guests = SoakGuest.CreateAllOn(cluster, h1, ["a", "b", "c"], VmTimeout, via: h2).ToList();
        try
        {
            var before = guests.ToDictionary(g => g.Name, g => g.LastTick);
            SetCorrectedErrors("h1", 9);
            string why = NetnsCluster.WaitFor(() => Degraded(h2, "h1"), d => d is not null, VmTimeout, "h1 degraded")!;
            Assert.Contains("9 corrected memory errors", why);
            NetnsCluster.WaitFor(() => NetnsCluster.Vms(h2), v => guests.Any(g => v[g.Name] is { State: "running", Host: not "h1" }),
                VmTimeout, "a first guest moved off h1");

            var stoppedAt = DateTime.UtcNow;
            int exit = h1.Terminate(VmTimeout);
            output.WriteLine($"SIGTERM -> h1 exited {exit} after {(DateTime.UtcNow - stoppedAt).TotalSeconds:0.0} s");
            Assert.Equal(0, exit);
            var moved = NetnsCluster.WaitFor(() => NetnsCluster.Vms(h2), v => guests.All(g => v[g.Name] is { State: "running", Host: not "h1" }),
                VmTimeout, "every guest running off h1, through the manager's new host");
            output.WriteLine(string.Join(", ", guests.Select(g => $"{g.Name} on {moved[g.Name].Host}")));
            foreach (var g in guests) g.AssertWentOnAfterMove(h2, before[g.Name], VmTimeout);
            Assert.Equal(why, Degraded(h2, "h1"));
        }
        finally
        {
            foreach (var g in guests) g.Dispose();
        }
    }

    /// <summary>The protection state of <paramref name="vm"/> as <c>ctl vms --json</c> shows it; null when it is not protected.</summary>
    private static string? ProtectionState(NamespacedNode via, string vm)
    {
        var view = via.CtlJson("vms").EnumerateArray().Single(v => v.GetProperty("name").GetString() == vm);
        return view.TryGetProperty("protection", out var p) && p.ValueKind == JsonValueKind.Object ? p.GetProperty("state").GetString() : null;
    }

    /// <summary>
    /// A protected guest on a host that turns degraded switches to its synced standby instead of
    /// migrating (milliseconds where a migration takes seconds of a failing host's time): it goes
    /// on on the standby's host without a reboot, ticks and memory checks continuing.
    /// </summary>
    [NetnsFact]
    public void A_protected_guest_on_a_degraded_host_goes_on_on_its_standby()
    {
        using var cluster = Cluster();
        var h1 = cluster[1];
        var guest = SoakGuest.CreateAllOn(cluster, cluster[2], ["p"], VmTimeout).Single();
        try
        {
            NetnsCluster.WaitFor(() => h1.Ctl("protect", "p", "--standby", "h3", "--epoch", "50ms"), r => r.ExitCode == 0, VmTimeout, "ctl protect accepted", pollMs: 1000);
            NetnsCluster.WaitFor(() => ProtectionState(h1, "p"), s => s == "protected", VmTimeout, "p protected");
            int before = guest.LastTick;
            var raisedAt = DateTime.UtcNow;
            SetCorrectedErrors("h2", 7);
            NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1)["p"], v => v is { Host: "h3", State: "running" }, VmTimeout, "p running on its standby's host");
            output.WriteLine($"p running on h3 {(DateTime.UtcNow - raisedAt).TotalSeconds:0.0} s after h2's counter rose");
            guest.AssertWentOnAfterMove(h1, before, VmTimeout);
            var events = h1.Ctl("events").Stdout;
            output.WriteLine(string.Join("\n", events.TakeLast(12)));
            Assert.Contains(events, l => l.Contains("vm p: standby on h3 takes over"));
            Assert.DoesNotContain(events, l => l.Contains("vm p") && l.Contains("migrat", StringComparison.OrdinalIgnoreCase));
        }
        finally
        {
            guest.Dispose();
        }
    }

    [NetnsFact]
    public void A_failing_health_command_and_a_vcpu_failure_each_degrade_their_host()
    {
        using var cluster = Cluster();
        var (h1, h3) = (cluster[1], cluster[3]);
        var guests = SoakGuest.CreateAllOn(cluster, h3, ["a", "b"], VmTimeout).ToList();
        try
        {
            var before = guests.ToDictionary(g => g.Name, g => g.LastTick);
            File.WriteAllText(CommandFlag("h3"), "");
            string why = NetnsCluster.WaitFor(() => Degraded(h1, "h3"), d => d is not null, VmTimeout, "h3 degraded by its health command")!;
            Assert.Equal("disk sda-h3 reports failing sectors", why);
            NetnsCluster.WaitFor(() => NetnsCluster.Vms(h1), v => guests.All(g => v[g.Name] is { State: "running", Host: not "h3" }), VmTimeout, "both guests off h3");
            foreach (var g in guests) g.AssertWentOnAfterMove(h1, before[g.Name], VmTimeout);
            File.Delete(CommandFlag("h3"));
            NetnsCluster.WaitFor(() => NetnsCluster.Hosts(h1)["h3"], s => s == "up", VmTimeout, "h3 back once its command passes");

            // A guest whose vCPU faults (a triple fault) on h1, alone there: h1 is degraded for it.
            Assert.Equal(0, h1.Ctl("drain", "h2").ExitCode);
            Assert.Equal(0, h1.Ctl("drain", "h3").ExitCode);
            var created = h1.Ctl("create", "faulty", "--kernel", Repo.TestKernel, "--append", "mode=ticks ticks=3 then=triplefault", "--memory", "64M");
            Assert.True(created.ExitCode == 0, created.Output);
            Assert.Equal(0, h1.Ctl("undrain", "h2").ExitCode);
            Assert.Equal(0, h1.Ctl("undrain", "h3").ExitCode);
            why = NetnsCluster.WaitFor(() => Degraded(h1, "h1"), d => d is not null, VmTimeout, "h1 degraded by a vCPU failure")!;
            output.WriteLine($"h1 degraded: {why}");
            Assert.Contains("vCPU failure", why);
            Assert.Contains("triple fault", why);
        }
        finally
        {
            foreach (var g in guests) g.Dispose();
        }
    }
}
