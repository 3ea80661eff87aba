using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Support;
using Tern.TestSupport.Qmp;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;

namespace Tern.EndToEnd.Tests.Migration;

/// <summary>
/// Issue 4, acceptance 3: a guest that rewrites and verifies 256 MiB without pause (each pass checks
/// the previous pass's pattern, so a lost or stale page shows up as BAD).
/// </summary>
public sealed class DirtyGuestMigrationTests : IDisposable
{
    private const string Dirty = "mode=dirty mib=256";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>The pass number of a "DIRTY pass=N ok" line (the guest prints a few a second, not every pass), else -1.</summary>
    private static int Pass(string line) =>
        line.StartsWith("DIRTY pass=", StringComparison.Ordinal) && line.EndsWith(" ok", StringComparison.Ordinal)
            ? int.Parse(line.Split(' ')[1][5..]) : -1;

    [KvmFact]
    public void With_auto_converge_it_completes_without_corruption_and_within_the_downtime_limit()
    {
        string uri = UnixUri(_dir);
        using var source = Source(Dirty, "512M", []);
        using var destination = Destination(Dirty, "512M", [], uri);
        source.Process.WaitForLine(l => Pass(l) >= 2, Long);
        using var src = source.Connect();
        src.Return("migrate-set-capabilities", new JsonObject
        {
            ["capabilities"] = new JsonArray(new JsonObject { ["capability"] = "auto-converge", ["state"] = true }),
        });

        src.Return("migrate", new JsonObject { ["uri"] = uri });
        var info = WaitForEnd(src);

        Assert.True((string?)info["status"] == "completed", info.ToJsonString());
        // The limit is 300 ms; the margin covers the state handshake on a busy 2-core CI machine.
        Assert.InRange((long)info["downtime"]!, 0, 300 + 400);
        int lastPass = int.Parse(source.Process.Stdout.Last(l => l.StartsWith("DIRTY pass=", StringComparison.Ordinal)).Split(' ')[1][5..]);
        destination.Process.WaitForLine(l => Pass(l) > lastPass + 3, Long);
        Assert.DoesNotContain(destination.Process.Stdout, l => l.Contains("BAD"));
        Assert.DoesNotContain(source.Process.Stdout, l => l.Contains("BAD"));
    }

    [KvmFact]
    public void Without_auto_converge_it_fails_at_the_completion_timeout_and_the_guest_stays_intact()
    {
        string uri = UnixUri(_dir);
        using var source = Source(Dirty, "512M", []);
        using var destination = Destination(Dirty, "512M", [], uri);
        source.Process.WaitForLine(l => Pass(l) >= 2, Long);
        using var src = source.Connect();
        // A 1 ms pause can never hold what a guest rewriting 256 MiB dirties in one round.
        src.Return("migrate-set-parameters", new JsonObject { ["downtime-limit"] = 1, ["x-completion-timeout"] = 3000 });

        src.Return("migrate", new JsonObject { ["uri"] = uri });
        var info = WaitForEnd(src);

        Assert.Equal("failed", (string?)info["status"]);
        Assert.Contains("did not converge", (string?)info["error-desc"]);
        Assert.InRange((long)info["total-time"]!, 3000, 60_000);
        // Rounds last at least 10 ms, so a guest that never converges is not synced (and its
        // MIGRATION_PASS events sent) thousands of times a second.
        Assert.InRange((long)info["ram"]!["dirty-sync-count"]!, 1, (long)info["total-time"]! / 10 + 2);
        Assert.Equal("running", (string?)src.Return("query-status")!["status"]);
        int passes = source.Process.Stdout.Count(l => l.StartsWith("DIRTY pass=", StringComparison.Ordinal));
        source.Process.WaitForLine(l => l.StartsWith("DIRTY pass=", StringComparison.Ordinal)
            && source.Process.Stdout.Count(x => x.StartsWith("DIRTY pass=", StringComparison.Ordinal)) > passes + 2, Long);
        Assert.DoesNotContain(source.Process.Stdout, l => l.Contains("BAD"));
        Assert.NotEqual(0, destination.Process.WaitForExit(TimeSpan.FromSeconds(30)));
    }
}
