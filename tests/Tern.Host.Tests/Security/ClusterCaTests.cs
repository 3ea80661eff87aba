using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Tern.Actors.Security;
using Tern.Host.Security;
using Tern.Devices.Config;

namespace Tern.Host.Tests.Security;

public sealed class ClusterCaTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("tern-ca-").FullName;

    private string Dir(string name) => Path.Combine(_root, name);

    [Fact]
    public void A_node_certificate_is_trusted_by_its_own_ca_for_its_names_only_and_its_keys_are_private()
    {
        ClusterCa.Init(Dir("ca"), "test CA");
        ClusterCa.Issue(Dir("ca"), "h1", ["h1.example"], [IPAddress.Parse("10.0.0.1")], Dir("h1"));
        using var h1 = TlsCredentials.Load(Dir("h1"), TlsCredsEndpoint.Server);
        Assert.True(h1.Trusts(h1.Certificate));
        Assert.True(h1.Trusts(h1.Certificate, "10.0.0.1"));
        Assert.True(h1.Trusts(h1.Certificate, "h1.example"));
        Assert.False(h1.Trusts(h1.Certificate, "10.0.0.2"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Dir("h1"), "server-key.pem")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Dir("ca"), ClusterCa.CaKeyFile)));

        ClusterCa.Init(Dir("other"), "another CA");
        ClusterCa.Issue(Dir("other"), "h1", [], [IPAddress.Parse("10.0.0.1")], Dir("forged"));
        using var forged = TlsCredentials.Load(Dir("forged"), TlsCredsEndpoint.Client);
        Assert.False(h1.Trusts(forged.Certificate, "10.0.0.1"));
        Assert.Contains("already holds a CA", Assert.Throws<CaException>(() => ClusterCa.Init(Dir("ca"), "again")).Message);
    }

    [Fact]
    public async Task Two_nodes_of_one_ca_complete_a_mutual_handshake_and_a_node_of_another_ca_is_refused()
    {
        ClusterCa.Init(Dir("ca"), "test CA");
        ClusterCa.Init(Dir("other"), "another CA");
        ClusterCa.Issue(Dir("ca"), "server", [], [IPAddress.Loopback], Dir("server"));
        ClusterCa.Issue(Dir("ca"), "client", [], [], Dir("client"));
        ClusterCa.Issue(Dir("other"), "intruder", [], [], Dir("intruder"));
        using var server = TlsCredentials.Load(Dir("server"), TlsCredsEndpoint.Server);

        async Task<bool> Handshake(string clientDir)
        {
            using var client = TlsCredentials.Load(clientDir, TlsCredsEndpoint.Client);
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var accepting = Task.Run(async () =>
            {
                using var socket = await listener.AcceptTcpClientAsync();
                await using var ssl = new SslStream(socket.GetStream());
                try
                {
                    await ssl.AuthenticateAsServerAsync(server.ServerOptions());
                    return true;
                }
                catch (Exception e) when (e is AuthenticationException or IOException)
                {
                    return false;
                }
            });
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
            await using var stream = new SslStream(tcp.GetStream());
            try
            {
                await stream.AuthenticateAsClientAsync(client.ClientOptions("127.0.0.1"));
            }
            catch (Exception e) when (e is AuthenticationException or IOException)
            {
            }
            return await accepting;
        }

        Assert.True(await Handshake(Dir("client")));
        Assert.False(await Handshake(Dir("intruder")));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
