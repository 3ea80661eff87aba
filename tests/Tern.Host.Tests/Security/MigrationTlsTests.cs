using System.Net;
using System.Net.Sockets;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Migration.Engine.Transport;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Devices.Config;

namespace Tern.Host.Tests.Security;

/// <summary>Issue 15: which TLS a migration uses, and the handshake on each of its connections, refusals named.</summary>
public sealed class MigrationTlsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TestPki _pki = new("tern-migtls-");

    public void Dispose() => _pki.Dispose();

    private string Dir(string name) => _pki.Dir(name);

    private TlsCredsObjects Objects(string dir, TlsCredsEndpoint endpoint, bool verifyPeer = true) =>
        TlsCredsObjects.Load([new TlsCredsConfig("tls0", Dir(dir), endpoint, verifyPeer)]);

    private static readonly MigrationEndpoint Tcp = new(MigrationTransport.Tcp, "127.0.0.1", 4444);
    private static readonly MigrationEndpoint Unix = new(MigrationTransport.Unix, "/tmp/m.sock");

    [Fact]
    public void Without_tls_creds_no_tls_is_used()
    {
        Assert.Null(Objects("src", TlsCredsEndpoint.Client).ForSource(new MigrationParameters(), Tcp));
        Assert.Null(Objects("dst", TlsCredsEndpoint.Server).ForDestination(new MigrationParameters()));
    }

    [Fact]
    public void The_source_expects_tls_hostname_else_the_tcp_host_and_needs_one_for_unix()
    {
        var objects = Objects("src", TlsCredsEndpoint.Client);
        var p = new MigrationParameters { TlsCreds = "tls0" };
        Assert.Equal("127.0.0.1", objects.ForSource(p, Tcp)!.Hostname);
        Assert.Equal("dst.example", objects.ForSource(p with { TlsHostname = "dst.example" }, Tcp)!.Hostname);
        Assert.Equal("dst.example", objects.ForSource(p with { TlsHostname = "dst.example" }, Unix)!.Hostname);
        var e = Assert.Throws<MigrationRefusedException>(() => objects.ForSource(p, Unix));
        Assert.Contains("needs tls-hostname", e.Message);
    }

    [Fact]
    public void An_unknown_id_or_the_wrong_endpoint_is_named()
    {
        var p = new MigrationParameters { TlsCreds = "tls0" };
        Assert.Equal("tls-creds 'nope' names no tls-creds-x509 object",
            Assert.Throws<MigrationRefusedException>(() => Objects("src", TlsCredsEndpoint.Client).ForSource(p with { TlsCreds = "nope" }, Tcp)).Message);
        Assert.Contains("endpoint=server; a migration's source needs endpoint=client",
            Assert.Throws<MigrationRefusedException>(() => Objects("dst", TlsCredsEndpoint.Server).ForSource(p, Tcp)).Message);
        Assert.Contains("endpoint=client; a migration's destination needs endpoint=server",
            Assert.Throws<MigrationRefusedException>(() => Objects("src", TlsCredsEndpoint.Client).ForDestination(p)).Message);
    }

    /// <summary>A listening loopback socket and the tcp: endpoint that reaches it.</summary>
    private static (Socket Listener, MigrationEndpoint Endpoint) Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        return (listener, new MigrationEndpoint(MigrationTransport.Tcp, "127.0.0.1", ((IPEndPoint)listener.LocalEndPoint!).Port));
    }

    /// <summary>Connects a source with <paramref name="source"/> to a destination with <paramref name="destination"/> and sends a few bytes through.</summary>
    private static (Exception? Source, Exception? Destination) Handshake(MigrationTls? source, MigrationTls? destination)
    {
        var (listener, endpoint) = Listen();
        using var _ = listener;
        var serving = Task.Run(() =>
        {
            using var connection = MigrationConnection.Accept(listener.Accept(), Timeout, destination);
            var bytes = new byte[5];
            connection.Stream.ReadExactly(bytes);
            Assert.Equal("hello"u8.ToArray(), bytes);
        });
        Exception? sourceError = null;
        try
        {
            using var connection = MigrationConnection.Connect(endpoint, Timeout, source);
            connection.Stream.Write("hello"u8);
            connection.Stream.Flush();
            serving.Wait(Timeout);
        }
        catch (Exception e) when (e is MigrationRefusedException)
        {
            sourceError = e;
        }
        catch (AggregateException)
        {
            // the destination's failure, read below
        }
        try { serving.Wait(Timeout); } catch (AggregateException) { }
        return (sourceError, serving.Exception?.InnerException);
    }

    private MigrationTls Tls(string dir, TlsCredsEndpoint endpoint, string? hostname = null, bool verifyPeer = true) =>
        new(Actors.Security.TlsCredentials.Load(Dir(dir), endpoint), verifyPeer, hostname);

    [Fact]
    public void Both_sides_of_one_ca_talk()
    {
        var (source, destination) = Handshake(Tls("src", TlsCredsEndpoint.Client, "127.0.0.1"), Tls("dst", TlsCredsEndpoint.Server));
        Assert.Null(source);
        Assert.Null(destination);
    }

    [Fact]
    public void A_destination_of_another_ca_is_refused_by_the_source()
    {
        var (source, _) = Handshake(Tls("src", TlsCredsEndpoint.Client, "127.0.0.1"), Tls("stranger", TlsCredsEndpoint.Server));
        Assert.NotNull(source);
        Assert.Contains("TLS handshake with tcp:127.0.0.1:", source.Message);
        Assert.Contains("the destination's certificate is not from the CA in", source.Message);
    }

    [Fact]
    public void A_destination_certificate_that_does_not_name_the_host_is_refused()
    {
        var (source, _) = Handshake(Tls("src", TlsCredsEndpoint.Client, "dst.example"), Tls("dst", TlsCredsEndpoint.Server));
        Assert.NotNull(source);
        Assert.Contains("the destination's certificate does not name 'dst.example'", source.Message);
    }

    [Fact]
    public void A_source_of_another_ca_is_refused_by_the_destination()
    {
        // The source here trusts the destination (its CA file is the destination's) but presents a stranger's certificate.
        File.Copy(Dir("stranger/client-cert.pem"), Dir("src/client-cert.pem"), overwrite: true);
        File.Copy(Dir("stranger/client-key.pem"), Dir("src/client-key.pem"), overwrite: true);
        var (_, destination) = Handshake(Tls("src", TlsCredsEndpoint.Client, "127.0.0.1"), Tls("dst", TlsCredsEndpoint.Server));
        Assert.NotNull(destination);
        Assert.Contains("the source's certificate is not from the CA in", destination.Message);
    }

    [Fact]
    public async Task A_plain_source_is_told_in_a_back_channel_frame_that_tls_is_required()
    {
        var (listener, endpoint) = Listen();
        using var _ = listener;
        var tls = Tls("dst", TlsCredsEndpoint.Server);
        var serving = Task.Run(() => MigrationConnection.Accept(listener.Accept(), Timeout, tls));
        using var plain = MigrationConnection.Connect(endpoint, Timeout, tls: null);
        plain.Stream.Write("TERN-MIG"u8);
        var reply = Assert.IsType<MigrationReply.Error>(MigrationBackChannel.Read(plain.Stream));
        Assert.Contains("requires TLS", reply.Text);
        var refused = await Assert.ThrowsAsync<MigrationRefusedException>(() => serving.WaitAsync(Timeout));
        Assert.Contains("did not start a TLS handshake", refused.Message);
    }

    [Fact]
    public async Task A_tls_source_meeting_a_plain_listener_gets_a_one_line_reason()
    {
        var (listener, endpoint) = Listen();
        using var _ = listener;
        var serving = Task.Run(() =>
        {
            using var s = listener.Accept();
            var hello = new byte[16];
            s.Receive(hello);
            s.Send(MigrationBackChannel.Encode(new MigrationReply.Error("bad magic")));
        });
        var e = Assert.Throws<MigrationRefusedException>(() => MigrationConnection.Connect(endpoint, Timeout, Tls("src", TlsCredsEndpoint.Client, "127.0.0.1")));
        Assert.Contains("did not answer as a TLS server", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        await serving.WaitAsync(Timeout);
    }
}
