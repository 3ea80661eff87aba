using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Support;
using Tern.TestSupport.Net;
using Tern.TestSupport.Qmp;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;
using static Tern.EndToEnd.Tests.Net.NetVm;

namespace Tern.EndToEnd.Tests.Net;

/// <summary>Issue 6, acceptance 3: a NIC migrates live with its MAC, and the destination announces it on its own TAP.</summary>
public sealed class NetMigrationTests : IDisposable
{
    private const string Echoing = "mode=net net=echo";
    private readonly TempDir _dir = new();
    private readonly TapInterface _sourceTap = TapInterface.Create();
    private readonly TapInterface _destinationTap = TapInterface.Create();

    public void Dispose()
    {
        _sourceTap.Dispose();
        _destinationTap.Dispose();
        _dir.Dispose();
    }

    [NetFact]
    public void The_guest_keeps_exchanging_frames_on_the_destination_tap_which_announces_its_mac()
    {
        using var onSource = new FrameCollector(_sourceTap);
        using var onDestination = new FrameCollector(_destinationTap);
        string uri = UnixUri(_dir);
        using var source = Source(Echoing, "256M", NicArgs(_sourceTap.Name));
        using var destination = Destination(Echoing, "256M", NicArgs(_destinationTap.Name), uri);
        source.Process.WaitForLine("NET echo ready", Wait);
        for (uint seq = 1; seq <= 20; seq++) Assert.True(Echo(onSource, seq, 200, TimeSpan.FromSeconds(5)), source.Process.Describe());

        // The guest keeps exchanging frames on the source's TAP while the migration runs. The
        // migration starts once the exchanges have, and is held to 4 MiB/s: it moves under 1 MiB,
        // and unlimited it once ended in 20 ms, before the exchanges had a chance to count.
        uint next = 100;
        using var stop = new CancellationTokenSource();
        using var exchangesStarted = new ManualResetEventSlim();
        var exchanging = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Echo(onSource, next++, 200, TimeSpan.FromMilliseconds(200));
                exchangesStarted.Set();
            }
        });
        using var src = source.Connect();
        Assert.True(exchangesStarted.Wait(TimeSpan.FromSeconds(5)), "no exchange before the migration");
        src.Return("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = 4 << 20 });
        uint before = next;
        src.Return("migrate", new JsonObject { ["uri"] = uri });
        var info = WaitForEnd(src);
        var switchedAt = DateTime.UtcNow;
        stop.Cancel();
        exchanging.Wait();
        Assert.True((string?)info["status"] == "completed", info.ToJsonString());
        Assert.True(next > before + 5, $"only {next - before} exchanges while migrating ({info.ToJsonString()})");

        // The destination announces the MAC: gratuitous RARPs, ever wider apart.
        Thread.Sleep(2000);
        var announces = onDestination.Log.Where(e => IsAnnounce(e.Frame)).Select(e => e.At).ToArray();
        Assert.True(announces.Length == 5, $"{announces.Length} announce frames on the destination's TAP");
        var gaps = announces.Zip(announces.Skip(1), (a, b) => (b - a).TotalMilliseconds).ToArray();
        Assert.True(gaps.Zip(gaps.Skip(1)).All(g => g.Item2 > g.Item1), $"gaps {string.Join(", ", gaps)} ms");
        Assert.DoesNotContain(onSource.Log, e => IsAnnounce(e.Frame) && e.At > switchedAt);

        // The guest now answers on the destination's TAP, from the same MAC, payload intact.
        for (uint seq = 10_000; seq < 10_020; seq++) Assert.True(Echo(onDestination, seq, 300, TimeSpan.FromSeconds(5)), destination.Process.Describe());

        // Frames in flight at the switch-over may be lost, never answered twice.
        var answered = onSource.Log.Concat(onDestination.Log).Where(e => IsEcho(e.Frame)).Select(e => TestFrames.Check(e.Frame)).ToArray();
        Assert.DoesNotContain(null, answered);
        Assert.Equal(answered.Length, answered.Distinct().Count());
        Assert.DoesNotContain(destination.Process.Stdout, l => l.Contains(" bad") && !l.Contains("bad=0"));
    }

    [NetFact]
    public void A_destination_with_another_mac_is_refused_naming_both_and_the_source_keeps_running()
    {
        string uri = UnixUri(_dir);
        using var source = Source(Echoing, "256M", NicArgs(_sourceTap.Name));
        using var wrong = Destination(Echoing, "256M", NicArgs(_destinationTap.Name, "52:54:00:00:00:99"), uri);
        source.Process.WaitForLine("NET echo ready", Wait);
        using var src = source.Connect();

        src.Return("migrate", new JsonObject { ["uri"] = uri });
        var info = WaitForEnd(src);

        Assert.Equal("failed", (string?)info["status"]);
        Assert.Contains($"MAC '{Mac}' on the source, '52:54:00:00:00:99' here", (string?)info["error-desc"]);
        Assert.Equal("running", (string?)Status(src)["status"]);
        using var onSource = new FrameCollector(_sourceTap);
        Assert.True(Echo(onSource, 1, 100, TimeSpan.FromSeconds(5)));
    }
}
