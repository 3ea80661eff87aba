using System.Net;
using System.Net.Sockets;
using Tern.Devices.Config;
using Tern.Host.Qmp;

namespace Tern.Host.Tests.Qmp;

public sealed class QmpListenerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tern-qmp-").FullName;

    private string SocketPath => Path.Combine(_dir, "qmp.sock");

    private static QmpEndpoint Unix(string path) => new(QmpTransport.Unix, path);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_unix_socket_gets_mode_0600_and_is_removed_on_dispose()
    {
        using (var listener = QmpListener.Bind(Unix(SocketPath)))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SocketPath));
            Assert.Equal($"unix:{SocketPath}", listener.Description);
            using var client = LineClient.Connect(new UnixDomainSocketEndPoint(SocketPath));
        }

        Assert.False(File.Exists(SocketPath));
    }

    [Fact]
    public void A_socket_file_nobody_listens_on_is_replaced()
    {
        // A socket bound by a "process" that is gone: the file stays, nobody accepts.
        var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        dead.Bind(new UnixDomainSocketEndPoint(SocketPath));
        dead.SafeHandle.Dispose();
        GC.SuppressFinalize(dead);

        using var listener = QmpListener.Bind(Unix(SocketPath));
        using var client = LineClient.Connect(new UnixDomainSocketEndPoint(SocketPath));

        Assert.True(client.Socket.Connected);
    }

    [Fact]
    public void A_live_socket_is_refused_and_left_alone()
    {
        using var live = QmpListener.Bind(Unix(SocketPath));

        var error = Assert.Throws<QmpBindException>(() => QmpListener.Bind(Unix(SocketPath)));

        Assert.Equal($"QMP socket '{SocketPath}' is in use by another process", error.Message);
        using var client = LineClient.Connect(new UnixDomainSocketEndPoint(SocketPath));
        Assert.True(client.Socket.Connected);
    }

    [Fact]
    public void A_file_that_is_not_a_socket_is_refused_and_left_alone()
    {
        File.WriteAllText(SocketPath, "precious");

        var error = Assert.Throws<QmpBindException>(() => QmpListener.Bind(Unix(SocketPath)));

        Assert.Contains("exists and is not a socket", error.Message);
        Assert.Equal("precious", File.ReadAllText(SocketPath));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void Tcp_listens_on_the_address_given_and_a_taken_port_is_an_error(string host)
    {
        using var first = QmpListener.Bind(new QmpEndpoint(QmpTransport.Tcp, host, 0));
        int port = ((IPEndPoint)first.LocalEndPoint).Port;

        var error = Assert.Throws<QmpBindException>(() => QmpListener.Bind(new QmpEndpoint(QmpTransport.Tcp, host, port)));

        Assert.Contains("already in use", error.Message);
        Assert.Contains(host.Contains(':') ? $"tcp:[{host}]:{port}" : $"tcp:{host}:{port}", error.Message);
        using var client = LineClient.Connect(new IPEndPoint(IPAddress.Parse(host), port));
        Assert.True(client.Socket.Connected);
    }
}
