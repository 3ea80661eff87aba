namespace Tern.EndToEnd.Tests.Support;

/// <summary>A scratch directory removed when the test ends.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "tern-e2e-" + Guid.NewGuid().ToString("N")[..12]);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A disk image of <paramref name="bytes"/> bytes starting with <paramref name="head"/>.</summary>
    public string Disk(string name, long bytes, string head = "")
    {
        string path = File(name);
        using var f = new FileStream(path, FileMode.Create);
        f.SetLength(bytes);
        f.Write(System.Text.Encoding.ASCII.GetBytes(head));
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
