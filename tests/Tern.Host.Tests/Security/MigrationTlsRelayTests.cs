using System.Net;
using System.Net.Sockets;
using System.Text;
using Tern.Actors.Migration.Engine.Transport;
using Tern.Actors.Security;
using Tern.Devices.Config;

namespace Tern.Host.Tests.Security;

/// <summary>
/// Issue 17: a VM process holds no key; its node carries its migration's TLS. A plain source
/// reaches a plain destination through the two nodes' relays, bytes and hang-ups intact, and what
/// a relay refuses is named.
/// </summary>
public sealed class MigrationTlsRelayTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TestPki _pki = new("tern-relay-");
    private readonly List<string> _notices = [];
    private readonly string _tag = Guid.NewGuid().ToString("N");

    public void Dispose() => _pki.Dispose();

    private string Dir(string name) => _pki.Dir(name);

    private MigrationTls Node(string dir) => new(TlsCredentials.Load(Dir(dir), TlsCredsEndpoint.Server));

    private MigrationEndpoint Abstract(string name) => new(MigrationTransport.Unix, $"@tern-test/{_tag}/{name}");

    private static MigrationEndpoint FreeTcp()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return new MigrationEndpoint(MigrationTransport.Tcp, "127.0.0.1", ((IPEndPoint)probe.LocalEndPoint!).Port);
    }

    private void Notice(string line)
    {
        lock (_notices) _notices.Add(line);
    }

    private static byte[] ReadToEnd(Socket socket)
    {
        socket.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        var all = new MemoryStream();
        var buffer = new byte[64 << 10];
        int n;
        while ((n = socket.Receive(buffer)) > 0) all.Write(buffer, 0, n);
        return all.ToArray();
    }

    [Fact]
    public async Task A_plain_source_reaches_a_plain_destination_through_both_relays_with_every_byte_and_hang_up()
    {
        var vm = Abstract("dst");
        using var destinationVm = MigrationSockets.Listen(vm);
        var network = FreeTcp();
        using var incoming = MigrationTlsRelay.Incoming(network, Node("dst"), vm, Notice);
        using var outgoing = MigrationTlsRelay.Outgoing(Abstract("src"), network, Node("src") with { Hostname = "127.0.0.1" }, Notice);

        var stream = new byte[3 << 20];
        Random.Shared.NextBytes(stream);
        var received = Task.Run(() =>
        {
            using var accepted = destinationVm.Accept();
            var all = ReadToEnd(accepted); // ends when the source's hang-up has come through both relays
            accepted.Send("done"u8);
            accepted.Shutdown(SocketShutdown.Send);
            return all;
        });
        using var source = MigrationSockets.Connect(outgoing.Endpoint, Timeout);
        source.Send(stream);
        source.Shutdown(SocketShutdown.Send);

        Assert.Equal(stream, await received.WaitAsync(Timeout));
        Assert.Equal("done", Encoding.ASCII.GetString(ReadToEnd(source)));
        Assert.Empty(_notices);
    }

    [Fact]
    public void A_destination_the_source_s_node_does_not_trust_is_named_to_the_vm_process()
    {
        var vm = Abstract("dst");
        using var destinationVm = MigrationSockets.Listen(vm);
        var network = FreeTcp();
        using var incoming = MigrationTlsRelay.Incoming(network, Node("stranger"), vm, Notice);
        using var outgoing = MigrationTlsRelay.Outgoing(Abstract("src"), network, Node("src") with { Hostname = "127.0.0.1" }, Notice);

        using var source = MigrationSockets.Connect(outgoing.Endpoint, Timeout);
        source.Send("a stream header"u8);
        // A back-channel Error frame: the source's migration fails naming why, and its guest stays.
        string reply = Encoding.UTF8.GetString(ReadToEnd(source));
        Assert.Contains($"TLS handshake with {network} failed: the destination's certificate is not from the CA in {Dir("src")}", reply);
    }

    [Fact]
    public void A_plain_peer_at_the_destination_s_relay_is_told_tls_is_required_and_never_reaches_the_vm_process()
    {
        var vm = Abstract("dst");
        using var destinationVm = MigrationSockets.Listen(vm);
        var network = FreeTcp();
        using var incoming = MigrationTlsRelay.Incoming(network, Node("dst"), vm, Notice);

        using var plain = MigrationSockets.Connect(network, Timeout);
        plain.Send("not TLS at all"u8);
        plain.Shutdown(SocketShutdown.Send);
        Assert.Contains("this destination requires TLS", Encoding.UTF8.GetString(ReadToEnd(plain)));
        Assert.False(destinationVm.Poll(TimeSpan.FromMilliseconds(300), SelectMode.SelectRead)); // nothing was let through
        lock (_notices) Assert.Contains(_notices, n => n.Contains("refused a connection to the migration relay") && n.Contains("requires TLS"));
    }
}
