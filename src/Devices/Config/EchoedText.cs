namespace Tern.Devices.Config;

/// <summary>
/// A value someone gave (an option, a path, a name, a QMP string), as an error message quotes it:
/// whole when short, otherwise its head and tail around "...", so a 10 KB value never comes back
/// whole and a long path still shows its file name.
/// </summary>
public static class EchoedText
{
    public const int MaxLength = 64;
    private const int TailLength = 16;

    public static string Clip(string? text)
    {
        if (text is null || text.Length <= MaxLength) return text ?? "";
        int head = MaxLength - TailLength - 3;
        int tail = text.Length - TailLength;
        // Never split a surrogate pair: half of one is not text and cannot be written as UTF-8 or JSON.
        if (char.IsHighSurrogate(text[head - 1])) head--;
        if (char.IsLowSurrogate(text[tail])) tail++;
        return $"{text[..head]}...{text[tail..]}";
    }
}
