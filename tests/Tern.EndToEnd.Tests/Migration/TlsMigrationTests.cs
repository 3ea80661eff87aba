using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Qmp;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Qmp.Client;
using Tern.TestSupport.Qmp;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;

namespace Tern.EndToEnd.Tests.Migration;

/// <summary>
/// Issue 15: migration over TLS with QEMU's interface (-object tls-creds-x509, migrate-set-parameters
/// tls-creds and tls-hostname), both sides checked; every refusal fails the migration with a clear
/// error-desc and leaves the source's guest running. Certificates come from `tern ca`.
/// </summary>
public sealed class TlsMigrationTests : IDisposable
{
    private const string Soak = "mode=soak mib=64 tick_ms=50 check_every=4";
    private readonly TempDir _dir = new();

    public TlsMigrationTests()
    {
        Ca("init", "--dir", _dir.File("ca"));
        Ca("init", "--dir", _dir.File("other-ca"), "--name", "another CA");
        Ca("issue", "src", "--dir", _dir.File("ca"), "--out", _dir.File("src"));
        Ca("issue", "dst", "--dir", _dir.File("ca"), "--out", _dir.File("dst"), "--ip", "127.0.0.1", "--dns", "dst.example");
        Ca("issue", "dst", "--dir", _dir.File("other-ca"), "--out", _dir.File("stranger"), "--ip", "127.0.0.1", "--dns", "dst.example");
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Runs `tern ca ARGS` through the shipped executable; a failure fails the test.</summary>
    internal static void Ca(params string[] args)
    {
        var result = TernProcess.Run(["ca", .. args], TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.Output);
    }

    private string[] Creds(string dir, string endpoint) => ["-object", $"tls-creds-x509,id=tls0,dir={_dir.File(dir)},endpoint={endpoint}"];

    private static void UseTls(QmpClient qmp, string? hostname = null)
    {
        var arguments = new JsonObject { ["tls-creds"] = "tls0" };
        if (hostname is not null) arguments["tls-hostname"] = hostname;
        qmp.Return("migrate-set-parameters", arguments);
    }

    /// <param name="defer">QEMU's order on the destination: -incoming defer, migrate-set-parameters, then migrate-incoming.</param>
    [KvmTheory]
    [InlineData("tcp", null, 0, false)]
    [InlineData("tcp", null, 0, true)]
    [InlineData("unix", "dst.example", 0, false)]
    [InlineData("tcp", null, 3, false)]
    public void Guest_moves_over_tls_keeping_its_memory_checksums(string transport, string? hostname, int multifdChannels, bool defer)
    {
        string uri = transport == "unix" ? UnixUri(_dir) : TcpUri();
        using var source = Source(Soak, "256M", Creds("src", "client"));
        using var destination = Destination(Soak, "256M", Creds("dst", "server"), defer ? "defer" : uri);
        source.Process.WaitForLine("SOAK filled", Long);
        using var src = source.Connect();
        using var dst = destination.Connect();
        UseTls(dst);
        if (defer) Assert.NotNull(dst.Return("migrate-incoming", new JsonObject { ["uri"] = uri }));
        UseTls(src, hostname);
        Assert.Equal("tls0", (string?)src.Return("query-migrate-parameters")!["tls-creds"]);
        Assert.Equal(hostname ?? "", (string?)src.Return("query-migrate-parameters")!["tls-hostname"]);
        if (multifdChannels > 0)
        {
            src.Return("migrate-set-capabilities", new JsonObject
            {
                ["capabilities"] = new JsonArray(new JsonObject { ["capability"] = "multifd", ["state"] = true }),
            });
            src.Return("migrate-set-parameters", new JsonObject { ["multifd-channels"] = multifdChannels });
        }

        src.Return("migrate", new JsonObject { ["uri"] = uri });
        var info = WaitForEnd(src);

        Assert.True((string?)info["status"] == "completed", info.ToJsonString());
        Assert.Equal("running", StatusAfterArrival(dst));
        AssertHopContinues(source, destination);
        int arrived = destination.Ticks[0];
        // A memory check that ran on the destination after the hop, over the whole region, found it intact.
        destination.Process.WaitForLine(l => l.StartsWith("SOAK check", StringComparison.Ordinal) && l.EndsWith(" ok", StringComparison.Ordinal)
            && destination.LastTick > arrived, Long);
        Assert.DoesNotContain(destination.Process.Stdout, l => l.Contains("BAD"));
    }

    [KvmTheory]
    [InlineData("other-ca", "the destination's certificate is not from the CA in")]
    [InlineData("wrong-hostname", "the destination's certificate does not name 'wrong.example'")]
    [InlineData("plain-destination", "did not answer as a TLS server")]
    [InlineData("plain-source", "this destination requires TLS")]
    public void A_refused_tls_migration_fails_clearly_and_the_source_keeps_running(string case_, string expected)
    {
        const string append = "mode=ticks tick_ms=50";
        string uri = TcpUri();
        using var source = Source(append, "256M", Creds("src", "client"));
        using var destination = Destination(append, "256M", Creds(case_ == "other-ca" ? "stranger" : "dst", "server"), uri);
        source.WaitForTick(3);
        using var src = source.Connect();
        using (var dst = destination.Connect())
            if (case_ != "plain-destination") UseTls(dst);
        if (case_ != "plain-source") UseTls(src, case_ == "wrong-hostname" ? "wrong.example" : null);

        src.Return("migrate", new JsonObject { ["uri"] = uri });
        var info = WaitForEnd(src);

        Assert.Equal("failed", (string?)info["status"]);
        string error = (string?)info["error-desc"] ?? "";
        Assert.Contains(expected, error);
        Assert.DoesNotContain('\n', error);
        Assert.Equal("running", (string?)Status(src)["status"]);
        source.AssertTicksContinue();
        // The refused connection was not a migration it could take: the destination logs it and goes on
        // waiting for one (a peer without the cluster's certificate, or a port scan, cannot end the wait).
        using (var dst = destination.Connect())
            Assert.Equal("inmigrate", (string?)Status(dst)["status"]);
        Assert.False(destination.Process.HasExited);
        Assert.DoesNotContain("Unhandled", destination.Process.Stderr);
    }

    [KvmFact]
    public void Tls_creds_must_name_an_object_and_a_unix_migration_needs_tls_hostname()
    {
        using var source = Source("mode=ticks tick_ms=50", "256M", Creds("src", "client"));
        source.WaitForTick(2);
        using var src = source.Connect();
        var unknown = src.Execute("migrate-set-parameters", new JsonObject { ["tls-creds"] = "nope" });
        Assert.Equal("GenericError", QmpClient.ErrorClass(unknown));
        Assert.Equal("tls-creds 'nope' names no tls-creds-x509 object", QmpClient.ErrorDesc(unknown));

        UseTls(src);
        var refused = src.Execute("migrate", new JsonObject { ["uri"] = UnixUri(_dir) });
        Assert.Equal("GenericError", QmpClient.ErrorClass(refused));
        Assert.Contains("needs tls-hostname", QmpClient.ErrorDesc(refused));
        Assert.Equal("running", (string?)Status(src)["status"]);
    }

    [KvmFact]
    public void Migrate_incoming_needs_incoming_defer_and_listens_once()
    {
        using var plain = Source("mode=ticks tick_ms=50", "256M", []);
        using var deferred = Destination("mode=ticks tick_ms=50", "256M", [], "defer");
        plain.WaitForTick(1);
        using var p = plain.Connect();
        using var d = deferred.Connect();
        Assert.Equal("migrate-incoming needs -incoming defer on the command line",
            QmpClient.ErrorDesc(p.Execute("migrate-incoming", new JsonObject { ["uri"] = UnixUri(_dir) })));
        Assert.NotNull(d.Return("migrate-incoming", new JsonObject { ["uri"] = UnixUri(_dir) }));
        Assert.Equal("the incoming migration has already been started",
            QmpClient.ErrorDesc(d.Execute("migrate-incoming", new JsonObject { ["uri"] = UnixUri(_dir) })));
        Assert.Equal("inmigrate", (string?)Status(d)["status"]);
    }
}
