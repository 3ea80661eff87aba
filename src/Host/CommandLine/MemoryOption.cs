using System.Globalization;
using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// <c>-m [size=]SIZE</c>. As in StratoVirt a bare number is MiB and one K, M or G suffix (either
/// case, once) scales it; a B suffix (QEMU's spelling) gives plain bytes. The size must be no more
/// than the host can back, a fact of this host, not of the VM; its minimum and page multiple are
/// <see cref="VmConfig.Problems"/>'s to check.
/// </summary>
internal static class MemoryOption
{
    /// <summary>The size in bytes, and how messages name it: the text as given and its bytes.</summary>
    public static (ulong Bytes, string Given) Parse(string text, IHostFacts host)
    {
        var properties = OptionProperties.Parse("-m", text, positionalKey: "size");
        string sizeText = properties.RequireValue("size");
        properties.RejectUnknown();

        ulong bytes = ParseSize(sizeText);
        string given = $"memory size '{EchoedText.Clip(sizeText)}' ({bytes} bytes)";
        ulong backable = host.BackableMemoryBytes;
        if (bytes > backable)
            throw new CommandLineException($"{given} is more than the host can back: MemTotal + SwapTotal is {backable} bytes");
        return (bytes, given);
    }

    /// <summary>StratoVirt's size rule (default unit MiB) plus a B suffix for bytes.</summary>
    public static ulong ParseSize(string text)
    {
        if (text.Length == 0) throw new CommandLineException("bad memory size ''");
        char last = text[^1];
        (string digits, ulong unit) = char.ToUpperInvariant(last) switch
        {
            'K' => (text[..^1], 1UL << 10),
            'M' => (text[..^1], 1UL << 20),
            'G' => (text[..^1], 1UL << 30),
            'B' => (text[..^1], 1UL),
            _ => (text, 1UL << 20),
        };
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit)
            || !ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out ulong count))
            throw new CommandLineException($"bad memory size '{EchoedText.Clip(text)}'");
        try
        {
            return checked(count * unit);
        }
        catch (OverflowException)
        {
            throw new CommandLineException($"memory size '{EchoedText.Clip(text)}' is too large");
        }
    }
}
