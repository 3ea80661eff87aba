using System.Net.Sockets;

namespace Tern.EndToEnd.Tests.Migration;

/// <summary>
/// A UNIX-socket man in the middle for one real migration or replication: every byte is passed on
/// both ways, and once <see cref="Corrupt"/> is called one bit of the next stretch the source sends
/// is flipped on its way, as a faulty link or memory would, past any checksum of its own.
/// </summary>
public sealed class CorruptingProxy : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private volatile bool _corrupt;

    /// <summary>How many bytes the source had sent when the bit was flipped (-1 until then).</summary>
    public long FlippedAt { get; private set; } = -1;

    public CorruptingProxy(string listenPath, string destinationPath)
    {
        _listener.Bind(new UnixDomainSocketEndPoint(listenPath));
        _listener.Listen(1);
        new Thread(() => Relay(destinationPath)) { IsBackground = true, Name = "corrupting-proxy" }.Start();
    }

    /// <summary>Flips one bit in the middle of the next bytes the source sends.</summary>
    public void Corrupt() => _corrupt = true;

    private void Relay(string destinationPath)
    {
        try
        {
            using var source = _listener.Accept();
            using var destination = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            destination.Connect(new UnixDomainSocketEndPoint(destinationPath));
            var back = new Thread(() => Pump(destination, source, flip: false)) { IsBackground = true };
            back.Start();
            Pump(source, destination, flip: true);
            back.Join();
        }
        catch (SocketException)
        {
            // The test tore everything down.
        }
    }

    /// <summary>Copies until <paramref name="from"/> ends or fails, then passes the end on.</summary>
    private void Pump(Socket from, Socket to, bool flip)
    {
        var buffer = new byte[1 << 16];
        long sent = 0;
        try
        {
            int n;
            while ((n = from.Receive(buffer)) > 0)
            {
                if (flip && _corrupt && FlippedAt < 0)
                {
                    buffer[n / 2] ^= 0x10;
                    FlippedAt = sent + n / 2;
                }
                to.Send(buffer.AsSpan(0, n));
                sent += n;
            }
        }
        catch (SocketException)
        {
            // One side hung up; the replication itself reports it.
        }
        try
        {
            to.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // Already closed.
        }
    }

    public void Dispose() => _listener.Dispose();
}
