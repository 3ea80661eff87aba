using System.Text;
using System.Text.Unicode;

namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>Rules and display of section component ids: at most 64 bytes of UTF-8, no control characters.</summary>
internal static class ComponentId
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes a received id; null (with <paramref name="error"/>) when it breaks the rules.</summary>
    public static string? TryDecode(ReadOnlySpan<byte> bytes, out string error)
    {
        error = "";
        if (!Utf8.IsValid(bytes))
        {
            error = $"component id is not UTF-8 ({Convert.ToHexString(bytes)})";
            return null;
        }
        string id = Strict.GetString(bytes);
        if (HasControl(id))
        {
            error = $"component id '{Escape(id)}' has a control character";
            return null;
        }
        return id;
    }

    /// <summary>Encodes an id for sending; throws <see cref="ArgumentException"/> when it breaks the rules.</summary>
    public static int Encode(string id, Span<byte> into)
    {
        if (HasControl(id)) throw new ArgumentException($"component id '{Escape(id)}' has a control character", nameof(id));
        int length;
        try
        {
            length = Strict.GetByteCount(id);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("component id is not valid UTF-16", nameof(id), e);
        }
        if (length > MigrationStreamFormat.MaxComponentIdBytes)
            throw new ArgumentException($"component id of {length} bytes is over the {MigrationStreamFormat.MaxComponentIdBytes}-byte limit", nameof(id));
        return Strict.GetBytes(id, into);
    }

    private static bool HasControl(string id)
    {
        foreach (char c in id)
            if (char.IsControl(c)) return true;
        return false;
    }

    public static string Escape(string id)
    {
        var sb = new StringBuilder(id.Length);
        foreach (char c in id)
            if (char.IsControl(c)) sb.Append($"\\u{(int)c:x4}");
            else sb.Append(c);
        return sb.ToString();
    }
}
