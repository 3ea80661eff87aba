using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Akka.Actor;
using Tern.Actors.Vm;
using Tern.Devices.Config;
using Tern.Host.Qmp;

namespace Tern.Host.Tests.Qmp;

/// <summary>The server over a real unix socket, in front of a stand-in VM actor.</summary>
public sealed class QmpServerTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tern-qmp-").FullName;
    private readonly ActorSystem _system = ActorSystem.Create("qmp-test", "akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING");
    private readonly TaskCompletionSource _quitReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IActorRef _vm = ActorRefs.Nobody;
    private QmpServer _server = null!;

    private string SocketPath => Path.Combine(_dir, "qmp.sock");

    public Task InitializeAsync()
    {
        _vm = _system.ActorOf(Props.Create(() => new FakeVm(_quitReceived)), "vm");
        _server = QmpServer.Bind(new QmpEndpoint(QmpTransport.Unix, SocketPath));
        _server.Attach(_system, _vm);
        _server.Start(StandardCommands.Create(_vm));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _system.Terminate();
        Directory.Delete(_dir, recursive: true);
    }

    private LineClient Connect(bool readGreeting = true)
    {
        var client = LineClient.Connect(new UnixDomainSocketEndPoint(SocketPath));
        if (readGreeting) Assert.NotNull(client.ReadJson()["QMP"]);
        return client;
    }

    private void Emit(VmEvent e) => _vm.Tell(new FakeVm.Emit(e));

    [Fact]
    public void A_client_gets_the_greeting_then_answers()
    {
        using var client = Connect(readGreeting: false);

        Assert.Equal(Encoding.UTF8.GetString(QmpWire.Greeting(QmpVersion.Tern))[..^2], client.ReadLine());
        client.Send("{\"execute\":\"query-status\",\"id\":1}\n");
        Assert.Equal("""{"return":{"status":"running","singlestep":false,"running":true},"id":1}""", client.ReadLine());
    }

    [Fact]
    public void Events_reach_every_client()
    {
        // A client that has its greeting is registered for events.
        using var first = Connect();
        using var second = Connect();

        Emit(new VmEvent.Stopped(DateTimeOffset.UtcNow));

        Assert.Equal("STOP", (string?)first.ReadEvent()["event"]);
        Assert.Equal("STOP", (string?)second.ReadEvent()["event"]);
    }

    [Fact]
    public void A_client_that_never_reads_is_cut_off_while_the_others_keep_every_event()
    {
        using var sleeper = Connect(readGreeting: false);
        using var reader = Connect();

        const int Batches = 40, PerBatch = 500;
        for (int b = 0; b < Batches; b++)
        {
            for (int i = 0; i < PerBatch; i++) Emit(new VmEvent.Resumed(DateTimeOffset.UtcNow));
            for (int i = 0; i < PerBatch; i++) Assert.Equal("RESUME", (string?)reader.ReadEvent()["event"]);
        }

        // The VM side was never held up, and the reader is still served.
        reader.Send("{\"execute\":\"query-status\"}\n");
        Assert.NotNull(reader.ReadReply()["return"]);
        Assert.True(sleeper.IsClosedByServer());
    }

    [Fact]
    public void Bursts_from_several_clients_are_answered_in_order_per_client()
    {
        const int Requests = 300;
        var clients = Enumerable.Range(0, 4).Select(_ => Connect()).ToArray();
        try
        {
            var burst = new StringBuilder();
            for (int i = 0; i < Requests; i++)
            {
                burst.Append((i % 4) switch
                {
                    0 => $"{{\"execute\":\"query-status\",\"id\":{i}}}\n",
                    1 => $"{{\"execute\":\"no-such-command\",\"id\":{i}}}\n",
                    2 => $"{{\"execute\":\"query-version\",\"arguments\":{{\"x\":1}},\"id\":{i}}}\n",
                    _ => $"{{\"execute\":\"query-version\",\"id\":{i}}}\r\n",
                });
            }
            byte[] bytes = Encoding.UTF8.GetBytes(burst.ToString());
            Parallel.ForEach(clients, c => c.Send(bytes));

            Parallel.ForEach(clients, c =>
            {
                for (int i = 0; i < Requests; i++)
                {
                    var reply = c.ReadReply();
                    Assert.Equal(i, (int)reply["id"]!);
                    Assert.Equal(i % 4 is 0 or 3, reply["return"] is not null);
                }
            });
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    [Fact]
    public void Over_long_lines_and_non_utf8_bytes_get_errors_and_the_connection_stays_usable()
    {
        using var client = Connect();

        client.Send(Encoding.ASCII.GetBytes(new string(' ', (1 << 20) + 1) + "\n"));
        Assert.Contains("exceeds the 1048576-byte limit", (string?)client.ReadReply()["error"]!["desc"]);

        client.Send([(byte)'{', 0xc3, 0x28, (byte)'}', (byte)'\n']);
        Assert.Contains("not valid UTF-8", (string?)client.ReadReply()["error"]!["desc"]);

        client.Send("{\"execute\":\"query-status\"}\n");
        Assert.True((bool)client.ReadReply()["return"]!["running"]!);
    }

    [Fact]
    public void A_client_leaving_mid_line_disturbs_nobody()
    {
        using (var leaver = Connect())
        {
            leaver.Send("{\"execute\":\"qu");
        }
        using var client = Connect();

        client.Send("{\"execute\":\"query-status\"}\n");

        Assert.NotNull(client.ReadReply()["return"]);
    }

    [Fact]
    public void A_client_that_closes_its_sending_side_still_gets_its_replies()
    {
        using var client = Connect();

        client.Send("{\"execute\":\"query-status\",\"id\":1}\n{\"execute\":\"query-name\",\"id\":2}\n");
        client.Socket.Shutdown(SocketShutdown.Send);

        Assert.Equal(1, (int)client.ReadReply()["id"]!);
        Assert.Equal(2, (int)client.ReadReply()["id"]!);
        Assert.Null(client.ReadLine());
    }

    [Fact]
    public async Task Stopping_after_quit_delivers_the_reply_and_SHUTDOWN_then_closes_and_removes_the_socket()
    {
        using var client = Connect();

        client.Send("{\"execute\":\"quit\"}\n");
        await _quitReceived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await _server.StopAsync();

        var lines = new List<JsonNode>();
        while (client.ReadLine() is { } line) lines.Add(JsonNode.Parse(line)!);
        Assert.Contains(lines, l => l["return"] is not null);
        Assert.Contains(lines, l => (string?)l["event"] == "SHUTDOWN");
        Assert.False(File.Exists(SocketPath));
    }

    [Fact]
    public void Clients_beyond_the_limit_are_closed_without_a_greeting_and_the_others_are_served()
    {
        var clients = Enumerable.Range(0, QmpServer.MaxClients).Select(_ => Connect()).ToList();
        try
        {
            using var extra = LineClient.Connect(new UnixDomainSocketEndPoint(SocketPath));
            Assert.True(extra.IsClosedByServer());

            clients[^1].Send("{\"execute\":\"query-status\"}\n");
            Assert.NotNull(clients[^1].ReadReply()["return"]);
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }
}
