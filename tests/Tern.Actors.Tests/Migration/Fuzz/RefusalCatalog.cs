using System.Text.RegularExpressions;

namespace Tern.Actors.Tests.Migration.Fuzz;

/// <summary>
/// Counts outcomes by their error text with the numbers taken out, to show which checks the
/// mutations reached (printed when TERN_FUZZ_ERRORS is set; a coverage aid, not an assertion).
/// </summary>
internal sealed partial class RefusalCatalog
{
    private readonly Dictionary<string, int> _counts = [];

    public static bool Wanted => Environment.GetEnvironmentVariable("TERN_FUZZ_ERRORS") is not null;

    public void Add(string text)
    {
        string key = Numbers().Replace(text, "#");
        key = key.Length > 100 ? key[..100] : key;
        _counts[key] = _counts.GetValueOrDefault(key) + 1;
    }

    public IEnumerable<string> Lines() => _counts.OrderByDescending(c => c.Value).Select(c => $"{c.Value,6}  {c.Key}");

    [GeneratedRegex(@"\b(0x)?[0-9a-fA-F]*[0-9][0-9a-fA-F]*\b")]
    private static partial Regex Numbers();
}
