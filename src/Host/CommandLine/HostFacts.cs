using System.Globalization;

namespace Tern.Host.CommandLine;

/// <summary>What the parser needs to know about the host; tests substitute their own.</summary>
internal interface IHostFacts
{
    /// <summary>MemTotal + SwapTotal: the most guest RAM the host can back.</summary>
    ulong BackableMemoryBytes { get; }
}

/// <summary>Reads the host's facts from /proc.</summary>
internal sealed class ProcHostFacts : IHostFacts
{
    public static readonly ProcHostFacts Instance = new();

    public ulong BackableMemoryBytes => ReadMeminfo();

    private static ulong ReadMeminfo()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines("/proc/meminfo");
        }
        catch (IOException e)
        {
            throw new CommandLineException($"cannot read /proc/meminfo to check -m: {e.Message}");
        }
        return KilobytesOf(lines, "MemTotal:") + KilobytesOf(lines, "SwapTotal:");
    }

    /// <summary>The value of a <c>Name:   1234 kB</c> line in bytes (0 when the line is missing).</summary>
    internal static ulong KilobytesOf(IEnumerable<string> lines, string name)
    {
        foreach (var line in lines)
        {
            if (!line.StartsWith(name, StringComparison.Ordinal)) continue;
            var fields = line[name.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 0 && ulong.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong kb))
                return kb * 1024;
        }
        return 0;
    }
}
