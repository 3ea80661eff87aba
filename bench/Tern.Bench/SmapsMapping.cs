namespace Tern.Bench;

/// <summary>One mapping of /proc/PID/smaps with the fields the benchmark needs (kB as the kernel reports them).</summary>
public sealed record SmapsMapping(string Header, string Path, long SizeKb, long RssKb, long AnonymousKb)
{
    /// <summary>An anonymous mapping (no file); a VMM's guest RAM is one of these.</summary>
    public bool IsAnonymous => Path.Length == 0 || Path.StartsWith("[anon", StringComparison.Ordinal);

    /// <summary>
    /// Pages no other process shares: anonymous ones, plus memfd-backed shared memory (the .NET runtime
    /// double-maps its JIT code through /memfd:doublemapper; the kernel counts those pages as shmem).
    /// </summary>
    public long PrivateKb => Path.StartsWith("/memfd:", StringComparison.Ordinal) ? RssKb : AnonymousKb;

    /// <summary>Parses the text of /proc/PID/smaps.</summary>
    public static List<SmapsMapping> Parse(string text)
    {
        var mappings = new List<SmapsMapping>();
        string? header = null, path = null;
        long size = 0, rss = 0, anon = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0) continue;
            int space = line.IndexOf(' ');
            string first = space < 0 ? line : line[..space];
            if (!first.EndsWith(':'))
            {
                // "start-end perms offset dev inode [path]": a new mapping begins.
                if (header is not null) mappings.Add(new SmapsMapping(header, path!, size, rss, anon));
                header = line;
                path = PathOf(line);
                size = rss = anon = 0;
                continue;
            }
            switch (first)
            {
                case "Size:": size = Kilobytes(line); break;
                case "Rss:": rss = Kilobytes(line); break;
                case "Anonymous:": anon = Kilobytes(line); break;
            }
        }
        if (header is not null) mappings.Add(new SmapsMapping(header, path!, size, rss, anon));
        return mappings;
    }

    private static string PathOf(string header)
    {
        // Five fixed fields, then the optional path (which may contain spaces).
        var fields = header.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        return fields.Length == 6 ? fields[5].Trim() : "";
    }

    private static long Kilobytes(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && long.TryParse(parts[1], out long kb) ? kb : 0;
    }
}
