using System.Text.Json;
using System.Text.Unicode;
using Tern.Devices.Config;

namespace Tern.Host.Qmp;

/// <summary>What one request line holds once parsed: a well-formed request, or why it is not one.</summary>
public abstract record QmpParsed
{
    /// <summary><c>{"execute": Command, "arguments": {...}?, "id": any?}</c>; elements are detached from the parsed text.</summary>
    public sealed record Request(string Command, JsonElement? Arguments, JsonElement? Id) : QmpParsed;

    /// <summary>Not a request; <see cref="Id"/> is echoed when the line was a JSON object that carried one.</summary>
    public sealed record Invalid(string Description, JsonElement? Id) : QmpParsed;
}

/// <summary>
/// Parses one request line as QMP defines it: UTF-8 JSON, one object with a string "execute",
/// an optional object "arguments" and an optional "id" of any type, and no other member.
/// </summary>
public static class QmpRequestParser
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    public static QmpParsed Parse(ReadOnlyMemory<byte> line)
    {
        if (!Utf8.IsValid(line.Span)) return new QmpParsed.Invalid("the request is not valid UTF-8", null);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line, Options);
        }
        catch (JsonException e)
        {
            return new QmpParsed.Invalid($"malformed JSON at byte {e.BytePositionInLine ?? 0}", null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return new QmpParsed.Invalid($"a request must be a JSON object, not {QmpText.KindOf(root)}", null);
            // Checked before anything is read: such a string cannot be read as text, nor echoed.
            if (HasLoneSurrogate(root))
                return new QmpParsed.Invalid("the request has a \\u escape that is a lone UTF-16 surrogate", null);

            JsonElement? id = root.TryGetProperty("id", out var idValue) ? idValue.Clone() : null;
            JsonElement? execute = null, arguments = null;
            foreach (var member in root.EnumerateObject())
            {
                switch (member.Name)
                {
                    case "execute": execute = member.Value; break;
                    case "arguments": arguments = member.Value; break;
                    case "id": break;
                    default: return new QmpParsed.Invalid($"unknown request member '{EchoedText.Clip(member.Name)}'", id);
                }
            }

            if (execute is not { } command) return new QmpParsed.Invalid("the request has no 'execute' member", id);
            if (command.ValueKind != JsonValueKind.String)
                return new QmpParsed.Invalid($"'execute' must be a string, not {QmpText.KindOf(command)}", id);
            if (arguments is { } args && args.ValueKind != JsonValueKind.Object)
                return new QmpParsed.Invalid($"'arguments' must be an object, not {QmpText.KindOf(args)}", id);

            return new QmpParsed.Request(command.GetString()!, arguments?.Clone(), id);
        }
    }

    /// <summary>
    /// Whether a string or member name escapes half a surrogate pair (<c>"\ud800"</c>): valid JSON
    /// syntax, but no text, so reading it throws.
    /// </summary>
    private static bool HasLoneSurrogate(JsonElement value)
    {
        try
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    _ = value.GetString();
                    return false;
                case JsonValueKind.Object:
                    foreach (var member in value.EnumerateObject())
                    {
                        _ = member.Name; // unescaped here: throws as a string value does
                        if (HasLoneSurrogate(member.Value)) return true;
                    }
                    return false;
                case JsonValueKind.Array:
                    foreach (var item in value.EnumerateArray())
                        if (HasLoneSurrogate(item)) return true;
                    return false;
                default:
                    return false;
            }
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}
