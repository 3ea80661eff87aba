using System.Text;
using System.Text.Json;

namespace Tern.Host.Ctl;

/// <summary>
/// Makes what a server sent safe for a terminal: a name, path or message may hold escape
/// sequences (a kernel path with ESC in it would recolour or rewrite the operator's screen), so
/// every control character ctl prints is shown as <c>\xNN</c> or <c>\u00NN</c> instead.
/// </summary>
public static class CtlText
{
    /// <summary><paramref name="text"/> with control characters escaped; line breaks and tabs kept only when <paramref name="keepLayout"/> (console output).</summary>
    public static string Printable(string? text, bool keepLayout = false)
    {
        if (text is null) return "";
        if (!text.Any(c => IsUnsafe(c, keepLayout))) return text;
        var result = new StringBuilder(text.Length + 16);
        foreach (char c in text)
            if (IsUnsafe(c, keepLayout)) result.Append(c <= 0xff ? $"\\x{(int)c:x2}" : $"\\u{(int)c:x4}");
            else result.Append(c);
        return result.ToString();
    }

    /// <summary>
    /// The server's JSON, checked and made terminal-safe: raw control characters can only be
    /// JSON whitespace outside strings, and DEL or C1 characters inside a string become \u escapes
    /// of the same meaning. Text that is not JSON is a <see cref="ControlApiException"/>.
    /// </summary>
    public static string Json(string json)
    {
        try
        {
            using var _ = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            throw new ControlApiException("the control API answered with something that is not JSON");
        }
        var result = new StringBuilder(json.Length);
        foreach (char c in json)
            if (c is >= '\x7f' and <= '\x9f' || char.IsControl(c) && c is not ('\n' or '\r' or '\t')) result.Append($"\\u{(int)c:x4}");
            else result.Append(c);
        return result.ToString();
    }

    private static bool IsUnsafe(char c, bool keepLayout) =>
        char.IsControl(c) && !(keepLayout && c is '\n' or '\r' or '\t') || c is '\u2028' or '\u2029' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');
}
