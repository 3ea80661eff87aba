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

    /// <summary>
    /// A guest followed across live migrations: no BAD line, and its ticks only go up, one by one
    /// except for at most <paramref name="gaps"/> short jumps (a follower may miss what a host
    /// printed just before it moved the VM on), so the guest never restarted.
    /// </summary>
    public static void AssertTicksContinue(IReadOnlyList<string> lines, string what, int gaps = 1)
    {
        Assert.DoesNotContain(lines, l => l.Contains("BAD", StringComparison.Ordinal));
        var ticks = Ticks(lines);
        var jumps = ticks.Zip(ticks.Skip(1), (a, b) => (First: a, Second: b)).Where(p => p.Second != p.First + 1).ToArray();
        Assert.True(jumps.Length <= gaps && jumps.All(j => j.Second > j.First && j.Second - j.First <= 40),
            $"{what}: ticks jump at {string.Join(", ", jumps.Select(j => $"{j.First}->{j.Second}"))}");
    }

    /// <summary>
    /// The soak guest's disk log writes reported in <paramref name="lines"/> (<c>SOAK blk write
    /// tick=N sector=S status=0</c>), as (tick, sector).
    /// </summary>
    public static IReadOnlyList<(int Tick, int Sector)> DiskLogWrites(IEnumerable<string> lines) =>
        lines.Where(l => l.StartsWith("SOAK blk write tick=", StringComparison.Ordinal) && l.EndsWith("status=0", StringComparison.Ordinal))
            .Select(l => l.Split(' ')).Select(p => (int.Parse(p[3][5..], CultureInfo.InvariantCulture), int.Parse(p[4][7..], CultureInfo.InvariantCulture)))
            .ToArray();

    /// <summary>Every disk log write in <paramref name="lines"/> is in <paramref name="image"/>: <c>SOAK-TICK N</c> in its sector; returns how many.</summary>
    public static int AssertDiskLogOn(byte[] image, IEnumerable<string> lines)
    {
        var writes = DiskLogWrites(lines);
        Assert.NotEmpty(writes);
        foreach (var (tick, sector) in writes)
            Assert.Equal($"SOAK-TICK {tick}\n", System.Text.Encoding.ASCII.GetString(image, sector * 512, 32).TrimEnd('\0'));
        return writes.Count;
    }

    /// <summary>The lines of <paramref name="text"/> that a newline ended; an unfinished last line is left out.</summary>
    public static IReadOnlyList<string> CompleteLines(string text) => text.Split('\n')[..^1];

    public static ulong Hex(string text) => ulong.Parse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^E820 start=0x([0-9a-f]+) size=0x([0-9a-f]+) type=(\d+)$")]
    private static partial Regex E820Line();

    [GeneratedRegex(@"^TICK (\d+)$")]
    private static partial Regex TickLine();
}
