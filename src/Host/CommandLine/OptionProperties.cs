using System.Globalization;
using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// The comma-separated properties of one option value (<c>file=a.img,id=rootfs,readonly=off</c>),
/// taken one by one by the option's parser; whatever is left at <see cref="RejectUnknown"/> is an
/// unknown key. A bare word (<c>server</c>, <c>-x2apic</c>) is a property without a value.
/// As in StratoVirt, a comma cannot be escaped, so values cannot contain one.
/// </summary>
internal sealed class OptionProperties
{
    private readonly string _option;
    private readonly List<(string Key, string? Value)> _items = [];

    private OptionProperties(string option) => _option = option;

    /// <summary>
    /// Splits <paramref name="text"/>. When <paramref name="positionalKey"/> is given, a first item
    /// without '=' is the value of that key (<c>-m 512M</c> means <c>size=512M</c>).
    /// </summary>
    public static OptionProperties Parse(string option, string text, string? positionalKey = null)
    {
        var properties = new OptionProperties(option);
        if (text.Length == 0) throw new CommandLineException($"option '{option}' has an empty value");
        var items = text.Split(',');
        for (int i = 0; i < items.Length; i++)
        {
            string item = items[i];
            if (item.Length == 0) throw new CommandLineException($"empty item in {option} '{EchoedText.Clip(text)}'");
            int equals = item.IndexOf('=');
            if (equals == 0) throw new CommandLineException($"item '{EchoedText.Clip(item)}' in {option} has no key");
            if (equals < 0 && i == 0 && positionalKey is not null)
                properties.Add(positionalKey, item);
            else if (equals < 0)
                properties.Add(item, null);
            else
                properties.Add(item[..equals], item[(equals + 1)..]);
        }
        return properties;
    }

    /// <summary>The value of <paramref name="key"/>, or null when it is absent.</summary>
    public string? TakeValue(string key)
    {
        int index = _items.FindIndex(item => item.Key == key);
        if (index < 0) return null;
        var value = _items[index].Value ?? throw new CommandLineException($"'{key}' in {_option} needs a value ({key}=...)");
        _items.RemoveAt(index);
        return value;
    }

    public string RequireValue(string key) =>
        TakeValue(key) ?? throw new CommandLineException($"{_option} is missing '{key}='");

    /// <summary>True when <paramref name="key"/> was given as a bare word.</summary>
    public bool TakeFlag(string key)
    {
        int index = _items.FindIndex(item => item.Key == key && item.Value is null);
        if (index < 0) return false;
        _items.RemoveAt(index);
        return true;
    }

    /// <summary>on/off, true/false or yes/no, as StratoVirt accepts; null when absent.</summary>
    public bool? TakeBool(string key) => TakeValue(key) is { } text ? ParseBool(key, text) : null;

    /// <summary>A decimal or 0x-hex number in [min, max]; null when absent.</summary>
    public ulong? TakeNumber(string key, ulong min, ulong max)
    {
        if (TakeValue(key) is not { } text) return null;
        if (!NumberText.TryParse(text, out ulong value))
            throw new CommandLineException($"bad number '{EchoedText.Clip(text)}' for '{key}' in {_option}");
        if (value < min || value > max)
            throw new CommandLineException($"'{key}={EchoedText.Clip(text)}' in {_option} is out of range {min}..{max}");
        return value;
    }

    public int? TakeInt(string key, int min, int max) => TakeNumber(key, (ulong)min, (ulong)max) is { } v ? (int)v : null;

    /// <summary>Takes every remaining item, in order.</summary>
    public IReadOnlyList<(string Key, string? Value)> TakeAll()
    {
        var all = _items.ToArray();
        _items.Clear();
        return all;
    }

    /// <summary>Fails on the first property no parser took.</summary>
    public void RejectUnknown()
    {
        if (_items.Count > 0) throw new CommandLineException($"unknown {_option} key '{_items[0].Key}'");
    }

    public bool ParseBool(string key, string text) => text switch
    {
        "on" or "true" or "yes" => true,
        "off" or "false" or "no" => false,
        _ => throw new CommandLineException($"bad value '{EchoedText.Clip(text)}' for '{key}' in {_option}: expected on or off"),
    };

    private void Add(string key, string? value)
    {
        if (_items.Exists(item => item.Key == key)) throw new CommandLineException($"'{key}' given twice in {_option}");
        _items.Add((key, value));
    }
}

/// <summary>Unsigned numbers in decimal or with a 0x prefix in hex, as StratoVirt's <c>str_to_usize</c>.</summary>
internal static class NumberText
{
    public static bool TryParse(string text, out ulong value)
    {
        value = 0;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return text.Length > 2 && ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        return text.Length > 0 && text.All(char.IsAsciiDigit)
            && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
