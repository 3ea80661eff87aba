using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Tern.Host.Qmp.Client;

/// <summary>
/// A QMP client for `tern demo`, the end-to-end tests and the benchmarks: connects (retrying until
/// the VMM listens), keeps the raw greeting, sends requests or raw bytes, and separates replies
/// from events. <see cref="ConnectUnix"/> and <see cref="ConnectTcp"/> are for testing Tern's
/// server: every line must end in "\r\n". <see cref="Open"/> is for driving any QMP server, Tern
/// or QEMU. JSON is handled only as <see cref="JsonNode"/>s, which need no reflection, because
/// the demo runs in the NativeAOT build.
/// </summary>
public sealed class QmpClient : IDisposable
{
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(15);

    private readonly Socket _socket;
    private readonly QmpLineReader _lines;
    private readonly Queue<JsonNode> _replies = new();
    private readonly List<JsonNode> _events = [];

    private QmpClient(Socket socket, bool checkLineEnds)
    {
        _socket = socket;
        _lines = new QmpLineReader(socket, ReadTimeout, checkLineEnds);
        GreetingLine = _lines.ReadLine() ?? throw new EndOfStreamException("tern closed the connection before the greeting");
    }

    /// <summary>The greeting exactly as received, "\r\n" included.</summary>
    public string GreetingLine { get; }

    /// <summary>Events received so far, in order.</summary>
    public IReadOnlyList<JsonNode> Events => _events;

    public Socket Socket => _socket;

    public static QmpClient ConnectUnix(string path, TimeSpan? timeout = null) => Connect(UnixSocket, new UnixDomainSocketEndPoint(path), timeout);

    public static QmpClient ConnectTcp(IPEndPoint endpoint, TimeSpan? timeout = null) =>
        Connect(() => new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp), endpoint, timeout);

    /// <summary>
    /// Connects to a Tern or QEMU UNIX socket, checks the greeting and leaves capabilities
    /// negotiation, ready for <see cref="Run"/>; line ends are not checked.
    /// </summary>
    public static QmpClient Open(string path, TimeSpan timeout)
    {
        var client = Connect(UnixSocket, new UnixDomainSocketEndPoint(path), timeout, checkLineEnds: false);
        try
        {
            if (JsonNode.Parse(client.GreetingLine) is not JsonObject greeting || !greeting.ContainsKey("QMP"))
                throw new IOException($"{path}: no QMP greeting");
            client.Run("qmp_capabilities");
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static Socket UnixSocket() => new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);

    private static QmpClient Connect(Func<Socket> create, EndPoint endpoint, TimeSpan? timeout, bool checkLineEnds = true)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var socket = create();
            try
            {
                socket.Connect(endpoint);
                return new QmpClient(socket, checkLineEnds);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                Thread.Sleep(20);
            }
        }
    }

    public void SendRaw(byte[] bytes) => _socket.Send(bytes);

    public void SendRaw(string text) => SendRaw(Encoding.UTF8.GetBytes(text));

    /// <summary>Sends one request and returns its reply (events that arrive meanwhile are kept).</summary>
    public JsonNode Execute(string command, JsonObject? arguments = null, JsonNode? id = null)
    {
        var request = new JsonObject { ["execute"] = command };
        if (arguments is not null) request["arguments"] = arguments;
        if (id is not null) request["id"] = id;
        SendRaw(request.ToJsonString() + "\n");
        return ReadReply();
    }

    /// <summary>Runs a command and returns its "return" member; a QMP error becomes a <see cref="QmpException"/>.</summary>
    public JsonNode? Run(string command, JsonObject? arguments = null)
    {
        var reply = Execute(command, arguments);
        if (reply["error"] is JsonObject error) throw new QmpException(command, (string?)error["desc"] ?? error.ToJsonString());
        return reply["return"];
    }

    public JsonNode ReadReply()
    {
        while (_replies.Count == 0) ReadMessage();
        return _replies.Dequeue();
    }

    /// <summary>The first event called <paramref name="name"/> received so far or arriving within the timeout.</summary>
    public JsonNode WaitForEvent(string name)
    {
        while (true)
        {
            var found = _events.FirstOrDefault(e => (string?)e["event"] == name);
            if (found is not null) return found;
            ReadMessage();
        }
    }

    /// <summary>Reads to the end of the stream (tern closed the connection); false if it stays open.</summary>
    public bool WaitForClose()
    {
        try
        {
            while (_lines.ReadLine() is { } line) Keep(JsonNode.Parse(line)!);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private void ReadMessage()
    {
        string line = _lines.ReadLine() ?? throw new EndOfStreamException("tern closed the QMP connection");
        Keep(JsonNode.Parse(line)!);
    }

    private void Keep(JsonNode message)
    {
        if (message["event"] is not null) _events.Add(message);
        else _replies.Enqueue(message);
    }

    public void Dispose() => _socket.Dispose();
}
