using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Tern.Host.Demo;

/// <summary>A minimal QMP client for the demo: one request at a time, events skipped.</summary>
internal sealed class DemoQmp : IDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;

    private DemoQmp(Socket socket)
    {
        _socket = socket;
        _reader = new StreamReader(new NetworkStream(socket), Encoding.UTF8);
        _reader.ReadLine(); // greeting
    }

    public static DemoQmp Connect(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(path));
                return new DemoQmp(socket);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                Thread.Sleep(50);
            }
        }
    }

    public JsonNode? Execute(string command, JsonObject? arguments = null)
    {
        var request = new JsonObject { ["execute"] = command };
        if (arguments is not null) request["arguments"] = arguments;
        _socket.Send(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"));
        while (_reader.ReadLine() is { } line)
        {
            var reply = JsonNode.Parse(line)!;
            if (reply["event"] is not null) continue;
            if (reply["error"] is { } error) throw new InvalidOperationException($"{command}: {error["desc"]}");
            return reply["return"];
        }
        throw new IOException($"{command}: the VM closed its QMP socket");
    }

    public void Dispose() => _socket.Dispose();
}
