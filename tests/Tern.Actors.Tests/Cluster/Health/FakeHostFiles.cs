using Tern.Actors.Cluster.Host.Health;

namespace Tern.Actors.Tests.Cluster.Health;

/// <summary>A temporary directory standing in for a host's sysfs and procfs, with the warnings the signals gave.</summary>
internal sealed class FakeHostFiles : IDisposable
{
    public static readonly DateTime T0 = new(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc);

    public FakeHostFiles() => Warn = new OnceWarnings(Warnings.Add);

    public string Root { get; } = Directory.CreateTempSubdirectory("tern-health-").FullName;
    public string Sysfs => Path.Combine(Root, "sys");
    public string Procfs => Path.Combine(Root, "proc");
    public List<string> Warnings { get; } = [];
    public OnceWarnings Warn { get; }

    public HostHealthSettings Settings => HostHealthSettings.Default with { SysfsRoot = Sysfs, ProcfsRoot = Procfs };

    /// <summary>Writes <paramref name="text"/> to a file under the root, making its directories.</summary>
    public string Write(string path, string text)
    {
        string full = Path.Combine(Root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
        return full;
    }

    public void Delete(string path) => File.Delete(Path.Combine(Root, path));

    /// <summary>A symbolic link at <paramref name="path"/> to <paramref name="target"/> (both under the root), as sysfs links devices.</summary>
    public void Link(string path, string target)
    {
        string full = Path.Combine(Root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        Directory.CreateDirectory(Path.Combine(Root, target));
        File.CreateSymbolicLink(full, Path.Combine(Root, target));
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
