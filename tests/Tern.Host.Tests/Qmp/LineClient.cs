using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Tern.Host.Tests.Qmp;

/// <summary>A raw QMP client for in-process server tests: send bytes, read "\r\n"-ended lines.</summary>
internal sealed class LineClient : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly Socket _socket;
    private readonly List<byte> _pending = [];
    private readonly byte[] _buffer = new byte[64 * 1024];

    private LineClient(Socket socket) => _socket = socket;

    public static LineClient Connect(EndPoint endpoint)
    {
        var socket = endpoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(endpoint);
        return new LineClient(socket);
    }

    public Socket Socket => _socket;

    public void Send(string text) => Send(Encoding.UTF8.GetBytes(text));

    public void Send(byte[] bytes) => _socket.Send(bytes);

    /// <summary>The next line, without its ending; asserts it ended in "\r\n". Null at end of stream.</summary>
    public string? ReadLine()
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            int newline = _pending.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = _pending.GetRange(0, newline + 1).ToArray();
                _pending.RemoveRange(0, newline + 1);
                string text = Encoding.UTF8.GetString(line);
                Assert.EndsWith("\r\n", text);
                return text[..^2];
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException("no line from the server");
            _socket.ReceiveTimeout = (int)Math.Max(1, left.TotalMilliseconds);
            int n;
            try
            {
                n = _socket.Receive(_buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut || e.SocketErrorCode == SocketError.WouldBlock)
            {
                throw new TimeoutException("no line from the server");
            }
            catch (SocketException)
            {
                return null;
            }
            if (n == 0) return null;
            _pending.AddRange(_buffer.AsSpan(0, n));
        }
    }

    public JsonNode ReadJson() => JsonNode.Parse(ReadLine() ?? throw new EndOfStreamException("the server closed the connection"))!;

    /// <summary>The next reply, skipping events.</summary>
    public JsonNode ReadReply()
    {
        while (true)
        {
            var json = ReadJson();
            if (json["event"] is null) return json;
        }
    }

    /// <summary>The next event, skipping replies.</summary>
    public JsonNode ReadEvent()
    {
        while (true)
        {
            var json = ReadJson();
            if (json["event"] is not null) return json;
        }
    }

    /// <summary>True when the server closed the connection (reads to the end, discarding lines).</summary>
    public bool IsClosedByServer()
    {
        try
        {
            while (ReadLine() is not null) { }
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public void Dispose() => _socket.Dispose();
}
