using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Tern.Host.Qmp.Client;

namespace Tern.Host.Tests.Qmp;

/// <summary>A raw QMP client for in-process server tests: send bytes, read "\r\n"-ended lines.</summary>
internal sealed class LineClient : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly Socket _socket;
    private readonly QmpLineReader _lines;

    private LineClient(Socket socket)
    {
        _socket = socket;
        _lines = new QmpLineReader(socket, Timeout);
    }

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
    public string? ReadLine() => _lines.ReadLine()?[..^2];

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
