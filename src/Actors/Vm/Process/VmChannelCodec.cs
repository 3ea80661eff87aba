using System.Buffers.Binary;
using System.Text.Json;
using Tern.Devices.Config;

namespace Tern.Actors.Vm.Process;

/// <summary>
/// The VM channel: how a `tern node` and the `tern vm` processes it runs talk, over a unix stream
/// socket that only they can open (mode 0600 in the node's data directory).
///
/// A frame is a 4-byte little-endian length N (1 ≤ N ≤ <see cref="MaxFrameBytes"/>) followed by N
/// bytes of UTF-8 JSON, one object:
/// <c>{"kind": "hello"|"request"|"reply"|"event", "id": ID, "type": NAME, "body": {...}}</c>.
/// NAME is one of <see cref="VmChannelTypes"/> and the body that type's JSON (camelCase, enums as
/// names). ID numbers a request (each side counts its own from 1); its reply carries the same ID;
/// hellos and events carry 0.
///
/// A connection goes: node sends hello NodeHello; VM answers hello VmHello, then an event
/// ConsoleData with its console output from the offset the node asked for (and more as the guest
/// writes). After that, node requests are VmProtocol and MigrationProtocol messages (MigrateTo for
/// a migration the node approves), FenceCountdown and LeaseDeadline; VM requests are CommitRequest. The VM sends
/// every VmEvent it publishes, and VmExited as an event when the guest has ended.
///
/// The VM serves one node connection at a time; a new one replaces the old (a node that restarted
/// and re-adopts the VM greets it like the first time, asking for the console from offset 0: the
/// VM's own ring kept what the guest wrote meanwhile). With no node greeted for node-gone-after
/// the VM quits its guest and answers any later NodeHello by closing the connection. Anything else — a length out of
/// range, JSON that does not parse, an unknown kind or type, a body of the wrong shape — is a
/// <see cref="VmChannelException"/>, and the reader closes the connection.
/// </summary>
public static class VmChannelCodec
{
    /// <summary>Console output goes in chunks of at most 64 KiB, base64 in JSON: 1 MiB leaves room for every other message.</summary>
    public const int MaxFrameBytes = 1 << 20;

    /// <summary>The version a <see cref="VmChannelMessages.VmHello"/> announces; a node refuses a VM that speaks another.</summary>
    public const int ProtocolVersion = 2;

    private static readonly string[] KindNames = ["hello", "request", "reply", "event"];

    /// <summary>The frame's bytes, length prefix included.</summary>
    public static byte[] Encode(VmChannelFrame frame)
    {
        var json = new MemoryStream();
        json.Write(stackalloc byte[4]);
        using (var w = new Utf8JsonWriter(json))
        {
            var typeName = VmChannelTypes.NameOf(frame.Body.GetType());
            w.WriteStartObject();
            w.WriteString("kind", KindNames[(int)frame.Kind]);
            w.WriteNumber("id", frame.Id);
            w.WriteString("type", typeName);
            w.WritePropertyName("body");
            JsonSerializer.Serialize(w, frame.Body, VmChannelTypes.Find(typeName)!);
            w.WriteEndObject();
        }
        var bytes = json.ToArray();
        int length = bytes.Length - 4;
        if (length > MaxFrameBytes) throw new ArgumentException($"a {frame.Body.GetType().Name} frame of {length} bytes exceeds {MaxFrameBytes}", nameof(frame));
        BinaryPrimitives.WriteInt32LittleEndian(bytes, length);
        return bytes;
    }

    /// <summary>The frame whose JSON (without the length prefix) is <paramref name="json"/>.</summary>
    public static VmChannelFrame Decode(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new VmChannelException("a frame is not a JSON object");
            int kind = Array.IndexOf(KindNames, Text(root, "kind"));
            if (kind < 0) throw new VmChannelException($"a frame's kind is not one of {string.Join(", ", KindNames)}");
            if (!root.TryGetProperty("id", out var idElement) || !idElement.TryGetInt64(out long id) || id < 0)
                throw new VmChannelException("a frame's id is not a number of 0 or more");
            string type = Text(root, "type");
            var info = VmChannelTypes.Find(type) ?? throw new VmChannelException($"'{EchoedText.Clip(type)}' is not a VM channel message");
            if (!root.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.Object)
                throw new VmChannelException($"a {type} frame has no body object");
            var value = body.Deserialize(info) ?? throw new VmChannelException($"a {type} frame's body is null");
            return new VmChannelFrame((VmChannelFrameKind)kind, id, value);
        }
        catch (JsonException e)
        {
            throw new VmChannelException($"a frame is not valid JSON for its type: {EchoedText.Clip(e.Message)}");
        }
    }

    /// <summary>The next frame from <paramref name="stream"/>, or null at a clean end of stream (between frames).</summary>
    public static async Task<VmChannelFrame?> ReadAsync(Stream stream, CancellationToken cancel)
    {
        var prefix = new byte[4];
        if (!await ReadExactlyOrEndAsync(stream, prefix, cancel)) return null;
        int length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        if (length is < 1 or > MaxFrameBytes) throw new VmChannelException($"a frame length of {length} is outside 1..{MaxFrameBytes}");
        var payload = new byte[length];
        if (!await ReadExactlyOrEndAsync(stream, payload, cancel)) throw new VmChannelException($"the connection ended inside a frame of {length} bytes");
        return Decode(payload);
    }

    private static async Task<bool> ReadExactlyOrEndAsync(Stream stream, byte[] buffer, CancellationToken cancel)
    {
        int read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancel);
        if (read == 0) return false;
        if (read < buffer.Length) throw new VmChannelException("the connection ended inside a frame");
        return true;
    }

    private static string Text(JsonElement root, string property) =>
        root.TryGetProperty(property, out var e) && e.ValueKind == JsonValueKind.String
            ? e.GetString()!
            : throw new VmChannelException($"a frame has no '{property}' string");
}
