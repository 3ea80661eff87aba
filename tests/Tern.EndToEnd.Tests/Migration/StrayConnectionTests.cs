using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Tern.EndToEnd.Tests.Support;
using Tern.TestSupport.Qmp;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;

namespace Tern.EndToEnd.Tests.Migration;

/// <summary>
/// Issue 15: a destination waiting with -incoming used to exit at the first connection that was
/// not a migration (a port scan, stray bytes) and wait for ever on a silent one. It logs such a
/// connection, drops it and keeps listening for the source.
/// </summary>
public sealed class StrayConnectionTests : IDisposable
{
    private const string Ticks = "mode=ticks tick_ms=50";
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [KvmTheory]
    [InlineData("unix")]
    [InlineData("tcp")]
    public void A_port_scan_and_garbage_before_the_source_are_ignored_and_the_guest_then_moves(string transport)
    {
        string uri = transport == "unix" ? UnixUri(_dir) : TcpUri();
        using var source = Source(Ticks, "256M", []);
        using var destination = Destination(Ticks, "256M", [], uri);

        using (Connect(uri)) { } // connect and close, as a port scan does
        using (var garbage = Connect(uri)) garbage.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8);
        WaitForOutput(destination, "not a migration", count: 2);
        Assert.False(destination.Process.HasExited, destination.Process.Stderr);

        source.WaitForTick(5);
        using var src = source.Connect();
        src.Return("migrate", new JsonObject { ["uri"] = uri });
        var info = WaitForEnd(src);

        Assert.True((string?)info["status"] == "completed", info.ToJsonString());
        AssertHopContinues(source, destination);
    }

    [KvmFact]
    public void A_silent_first_connection_is_dropped_after_the_header_timeout_and_the_source_then_migrates()
    {
        string uri = UnixUri(_dir);
        using var source = Source(Ticks, "256M", []);
        using var destination = Destination(Ticks, "256M", [], uri);
        using var silent = Connect(uri); // accepted first; the source's connection waits behind it

        source.WaitForTick(5);
        using var src = source.Connect();
        src.Return("migrate", new JsonObject { ["uri"] = uri });
        var info = WaitForEnd(src);

        Assert.True((string?)info["status"] == "completed", info.ToJsonString());
        WaitForOutput(destination, "sent no stream header within 10 s", count: 1);
        AssertHopContinues(source, destination);
    }

    private static Socket Connect(string uri)
    {
        string where = uri[(uri.IndexOf(':') + 1)..];
        if (uri.StartsWith("unix:", StringComparison.Ordinal))
        {
            var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            unix.Connect(new UnixDomainSocketEndPoint(where));
            return unix;
        }
        var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        tcp.Connect(IPEndPoint.Parse(where));
        return tcp;
    }

    /// <summary>Waits until the destination has logged <paramref name="text"/> (on either stream) that many times.</summary>
    private static void WaitForOutput(Qmp.QmpVm vm, string text, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        int Seen() => vm.Process.Stdout.Concat(vm.Process.Stderr.Split('\n')).Count(l => l.Contains(text, StringComparison.Ordinal));
        while (Seen() < count && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.True(Seen() >= count, $"expected {count} lines with '{text}'\n{string.Join('\n', vm.Process.Stdout)}\n{vm.Process.Stderr}");
    }
}
