using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Tern.Bench.Migration;

/// <summary>
/// The machine's own limit for a migration stream: one sender and one receiver thread moving a
/// fixed amount over 127.0.0.1 TCP or a UNIX stream socket in 1 MiB writes and reads, default
/// socket options, no VM running. The receiver's last byte ends the clock.
/// </summary>
public static class LoopbackProbe
{
    private const int Chunk = 1 << 20;

    /// <summary>MiB/s moved from one socket to the other.</summary>
    public static double MeasureMiBPerSecond(Transport transport, long bytes)
    {
        string? path = transport == Transport.Unix ? Path.Combine(Path.GetTempPath(), $"tern-loopback-{Guid.NewGuid():N}.sock") : null;
        using var listener = transport == Transport.Tcp
            ? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(path is null ? new IPEndPoint(IPAddress.Loopback, 0) : new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            long received = 0;
            var receiver = new Thread(() =>
            {
                using var socket = listener.Accept();
                var buffer = new byte[Chunk];
                int n;
                while (received < bytes && (n = socket.Receive(buffer)) > 0) received += n;
            });
            receiver.Start();

            using var sender = new Socket(listener.AddressFamily, SocketType.Stream, listener.ProtocolType);
            long t0 = Stopwatch.GetTimestamp();
            sender.Connect(listener.LocalEndPoint!);
            var data = new byte[Chunk];
            Random.Shared.NextBytes(data);
            for (long sent = 0; sent < bytes; sent += Chunk) sender.Send(data, (int)Math.Min(Chunk, bytes - sent), SocketFlags.None);
            receiver.Join();
            double seconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
            return received / seconds / (1 << 20);
        }
        finally
        {
            if (path is not null) File.Delete(path);
        }
    }

    /// <summary>A TCP port nobody listens on right now on 127.0.0.1.</summary>
    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
