using System.Text.Json;

namespace Tern.Host.Qmp;

/// <summary>Small helpers for error messages about what a client sent (values are quoted through EchoedText).</summary>
internal static class QmpText
{
    /// <summary>"a string", "an object" ... for "must be X, not Y" messages.</summary>
    public static string KindOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
