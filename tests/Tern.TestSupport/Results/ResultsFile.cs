namespace Tern.TestSupport.Results;

/// <summary>
/// bench/RESULTS.md holds one "## " section per benchmark; a run replaces only its own section
/// (from its heading to the next "## " heading) and keeps the others.
/// </summary>
public static class ResultsFile
{
    private const string Title = "# Benchmark results\n\nEach section is written by the benchmark named in it; rerun it to refresh that section.\n";

    public static void ReplaceSection(string path, string heading, string body)
    {
        string text = File.Exists(path) ? File.ReadAllText(path).Replace("\r\n", "\n") : Title;
        File.WriteAllText(path, Replace(text, heading, body));
    }

    /// <summary>The document with the section under <paramref name="heading"/> set to <paramref name="body"/>.</summary>
    public static string Replace(string document, string heading, string body)
    {
        var lines = document.Split('\n').ToList();
        string section = (heading + "\n\n" + body.Trim('\n') + "\n").TrimEnd('\n');
        int start = lines.FindIndex(l => l.TrimEnd() == heading);
        if (start < 0)
            return document.TrimEnd('\n') + "\n\n" + section + "\n";
        int end = lines.FindIndex(start + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
        if (end < 0) end = lines.Count;
        var before = string.Join('\n', lines.Take(start)).TrimEnd('\n');
        var after = string.Join('\n', lines.Skip(end)).Trim('\n');
        return (before.Length > 0 ? before + "\n\n" : "") + section + "\n" + (after.Length > 0 ? "\n" + after + "\n" : "");
    }
}
