using System.Net.Sockets;
using System.Text;

namespace Tern.Host.Qmp.Client;

/// <summary>
/// Reads a QMP server's lines off a socket, each within a timeout. With line-end checking on (for
/// Tern's own server) every line must end in "\r\n", as QEMU's do; one that does not is an
/// <see cref="InvalidDataException"/> (not an IOException, so no caller's catch of a dropped
/// connection hides it from a test).
/// </summary>
public sealed class QmpLineReader(Socket socket, TimeSpan timeout, bool checkLineEnds = true)
{
    private readonly List<byte> _pending = [];
    private readonly byte[] _buffer = new byte[64 * 1024];

    /// <summary>The next line with its ending, or null at the end of the stream (or when the server reset it).</summary>
    public string? ReadLine()
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            int newline = _pending.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var bytes = _pending.GetRange(0, newline + 1).ToArray();
                _pending.RemoveRange(0, newline + 1);
                string line = Encoding.UTF8.GetString(bytes);
                if (checkLineEnds && !line.EndsWith("\r\n", StringComparison.Ordinal))
                    throw new InvalidDataException($"QMP line does not end in \\r\\n: {line}");
                return line;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException("no QMP line in time");
            socket.ReceiveTimeout = (int)Math.Max(1, left.TotalMilliseconds);
            int n;
            try
            {
                n = socket.Receive(_buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                throw new TimeoutException("no QMP line in time");
            }
            catch (SocketException)
            {
                return null;
            }
            if (n == 0) return _pending.Count == 0 ? null : throw new EndOfStreamException("the server closed the connection mid-line");
            _pending.AddRange(_buffer.AsSpan(0, n));
        }
    }
}
