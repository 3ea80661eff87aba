using System.Globalization;
using System.Text.RegularExpressions;

namespace Tern.EndToEnd.Tests.Support;

/// <summary>Reads what the project's test kernel printed (protocol in tests/guest/README.md).</summary>
public static partial class TestKernel
{
    public static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The E820 lines as (start, size, type).</summary>
    public static IReadOnlyList<(ulong Start, ulong Size, int Type)> E820(IEnumerable<string> lines) =>
        lines.Select(l => E820Line().Match(l)).Where(m => m.Success)
            .Select(m => (Hex(m.Groups[1].Value), Hex(m.Groups[2].Value), int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)))
            .ToArray();

    public static IReadOnlyList<int> Ticks(IEnumerable<string> lines) =>
        lines.Select(l => TickLine().Match(l)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();

    public static ulong Hex(string text) => ulong.Parse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^E820 start=0x([0-9a-f]+) size=0x([0-9a-f]+) type=(\d+)$")]
    private static partial Regex E820Line();

    [GeneratedRegex(@"^TICK (\d+)$")]
    private static partial Regex TickLine();
}
