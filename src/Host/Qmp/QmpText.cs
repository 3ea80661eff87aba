using System.Text.Json;

namespace Tern.Host.Qmp;

/// <summary>Small helpers for error messages that quote what a client sent.</summary>
internal static class QmpText
{
    private const int MaxQuoted = 64;

    /// <summary>A client-chosen name, shortened so an error never echoes a megabyte back.</summary>
    public static string Clip(string text) => text.Length <= MaxQuoted ? text : text[..MaxQuoted] + "...";

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
