using System.Net.Sockets;
using System.Text.Json.Nodes;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Kvm.Memory;
using Tern.EndToEnd.Tests.Qmp;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Qmp.Client;
using Tern.TestSupport.Qmp;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;

namespace Tern.EndToEnd.Tests.Migration;

/// <summary>
/// Issue 4, acceptance 4: migrate_cancel in setup and during stop-and-copy. A stand-in destination
/// (a plain socket this test controls) holds the source in exactly the phase under test.
/// </summary>
public sealed class CancelTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// Accepts one migration and reads it as a destination would, into memory of its own;
    /// acknowledges the configuration and each round only if told to, and never the final state.
    /// </summary>
    private sealed class StalledDestination : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly Thread _thread;

        public StalledDestination(string path, bool acceptConfiguration, ulong memoryBytes = 256UL << 20)
        {
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            _listener.Listen(1);
            _thread = new Thread(() =>
            {
                try
                {
                    using var connection = _listener.Accept();
                    using var stream = new NetworkStream(connection);
                    if (acceptConfiguration)
                    {
                        using var memory = GuestMemory.ForRamSize(memoryBytes);
                        var reader = new MigrationStreamReader(stream, memory);
                        for (MigrationSection section; (section = reader.ReadNext()) is not MigrationSection.End;)
                            if (section is MigrationSection.Config) MigrationBackChannel.Write(stream, new MigrationReply.Ack(0));
                            else if (section is MigrationSection.RoundEnd r) MigrationBackChannel.Write(stream, new MigrationReply.Ack(r.Round));
                    }
                    while (stream.Read(new byte[4096]) > 0) { } // holds the source in stop-and-copy until it hangs up
                }
                catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or MigrationStreamException)
                {
                    // The source hung up: expected after a cancel.
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public void Dispose() => _listener.Dispose();
    }

    private static void AssertCanceledAndRunning(QmpVm source, QmpClient src)
    {
        src.Return("migrate_cancel");
        var info = WaitForEnd(src);
        Assert.Equal("canceled", (string?)info["status"]);
        Assert.Equal("running", (string?)src.Return("query-status")!["status"]);
        source.AssertTicksContinue();
    }

    [KvmFact]
    public void Cancel_in_setup_keeps_the_guest_running()
    {
        string path = _dir.File("stalled.sock");
        using var stalled = new StalledDestination(path, acceptConfiguration: false);
        using var source = Source("mode=ticks tick_ms=50", "256M", []);
        source.WaitForTick(2);
        using var src = source.Connect();

        src.Return("migrate", new JsonObject { ["uri"] = $"unix:{path}" });
        Thread.Sleep(300);
        Assert.Equal("setup", (string?)src.Return("query-migrate")!["status"]);

        AssertCanceledAndRunning(source, src);
    }

    [KvmFact]
    public void Cancel_during_stop_and_copy_resumes_the_guest_on_the_source()
    {
        string path = _dir.File("stalled.sock");
        using var stalled = new StalledDestination(path, acceptConfiguration: true);
        using var source = Source("mode=ticks tick_ms=50", "256M", []);
        source.WaitForTick(2);
        using var src = source.Connect();

        src.Return("migrate", new JsonObject { ["uri"] = $"unix:{path}" });
        // An idle guest converges at once; the source then pauses it and waits for the destination's
        // acknowledgement of the final state, which never comes: the ticks stop.
        int stoppedAt = WaitUntilTicksStop(source);
        Assert.Equal("active", (string?)src.Return("query-migrate")!["status"]);

        AssertCanceledAndRunning(source, src);
        Assert.Equal(stoppedAt + 1, source.Ticks.SkipWhile(t => t <= stoppedAt).First());
    }

    private static int WaitUntilTicksStop(QmpVm vm)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            int before = vm.LastTick;
            Thread.Sleep(500);
            if (vm.LastTick == before) return before;
        }
        throw new TimeoutException("the guest never paused for stop-and-copy");
    }
}
