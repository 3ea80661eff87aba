using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tern.Host.Qmp;

/// <summary>
/// Writes the lines the server sends: the greeting, replies and events, each one compact JSON
/// object followed by "\r\n" (StratoVirt and QEMU end every line so).
/// </summary>
public static class QmpWire
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // QMP is not HTML: keep non-ASCII and '<', '&' ... as they are (still valid JSON).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary><c>{"QMP":{"version":{"qemu":{"micro":M,"minor":N,"major":J},"package":"Tern-X.Y.Z"},"capabilities":[]}}</c>.</summary>
    public static byte[] Greeting(QmpVersion version) => Line(w =>
    {
        w.WriteStartObject();
        w.WriteStartObject("QMP");
        w.WritePropertyName("version");
        version.ToJson().WriteTo(w);
        w.WriteStartArray("capabilities");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    });

    /// <summary><c>{"return":...,"id":...}</c> or <c>{"error":{"class":..,"desc":..},"id":...}</c>; no "id" when the request had none.</summary>
    public static byte[] Reply(QmpReply reply, JsonElement? id) => Line(w =>
    {
        w.WriteStartObject();
        switch (reply)
        {
            case QmpReply.Return r:
                w.WritePropertyName("return");
                if (r.Value is null)
                {
                    w.WriteStartObject();
                    w.WriteEndObject();
                }
                else
                {
                    r.Value.WriteTo(w);
                }
                break;
            case QmpReply.Error e:
                w.WriteStartObject("error");
                w.WriteString("class", e.Class.ToString());
                w.WriteString("desc", e.Description);
                w.WriteEndObject();
                break;
        }
        if (id is { } value)
        {
            w.WritePropertyName("id");
            value.WriteTo(w);
        }
        w.WriteEndObject();
    });

    /// <summary><c>{"event":NAME,"data":{...},"timestamp":{"seconds":S,"microseconds":U}}</c>.</summary>
    public static byte[] Event(string name, JsonObject? data, DateTimeOffset at) => Line(w =>
    {
        long micros = (at - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;
        w.WriteStartObject();
        w.WriteString("event", name);
        w.WritePropertyName("data");
        if (data is null)
        {
            w.WriteStartObject();
            w.WriteEndObject();
        }
        else
        {
            data.WriteTo(w);
        }
        w.WriteStartObject("timestamp");
        w.WriteNumber("seconds", Math.DivRem(micros, 1_000_000, out long rest));
        w.WriteNumber("microseconds", rest);
        w.WriteEndObject();
        w.WriteEndObject();
    });

    private static byte[] Line(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) write(writer);
        var line = new byte[buffer.WrittenCount + 2];
        buffer.WrittenSpan.CopyTo(line);
        line[^2] = (byte)'\r';
        line[^1] = (byte)'\n';
        return line;
    }
}
