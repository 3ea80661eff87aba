using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Tern.Bench.Migration;

/// <summary>A QMP error reply: the command and QEMU's (or Tern's) description.</summary>
public sealed class QmpException(string command, string description) : Exception($"{command}: {description}");

/// <summary>
/// A minimal QMP client over a UNIX socket, the same for Tern and QEMU: greeting, qmp_capabilities,
/// then one command at a time; events between replies are skipped.
/// </summary>
public sealed class QmpClient : IDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly NetworkStream _stream;

    private QmpClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    /// <summary>Connects once the VMM has created and is serving its socket (it answers QMP only once it has started).</summary>
    public static QmpClient Connect(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Connect(new UnixDomainSocketEndPoint(path));
                var client = new QmpClient(socket);
                if (client.ReadMessage() is not JsonObject greeting || !greeting.ContainsKey("QMP"))
                    throw new IOException($"{path}: no QMP greeting");
                client.Execute("qmp_capabilities");
                return client;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                Thread.Sleep(20);
            }
        }
    }

    /// <summary>Runs a command and returns its "return" member; a QMP error becomes a <see cref="QmpException"/>.</summary>
    public JsonNode? Execute(string command, JsonObject? arguments = null)
    {
        var request = new JsonObject { ["execute"] = command };
        if (arguments is not null) request["arguments"] = arguments;
        _stream.Write(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"));
        while (true)
        {
            var message = ReadMessage() as JsonObject ?? throw new IOException($"{command}: the QMP connection closed");
            if (message.ContainsKey("event")) continue;
            if (message["error"] is JsonObject error) throw new QmpException(command, (string?)error["desc"] ?? error.ToJsonString());
            return message["return"];
        }
    }

    private JsonNode? ReadMessage()
    {
        string? line;
        while ((line = _reader.ReadLine()) is not null)
            if (line.Trim().Length > 0) return JsonNode.Parse(line);
        return null;
    }

    public void Dispose()
    {
        _reader.Dispose();
        _stream.Dispose();
        _socket.Dispose();
    }
}
