namespace Tern.Kvm.Tests.Boot.Support;

/// <summary>A file with given contents that is deleted when the test is done with it.</summary>
internal sealed class TempFile : IDisposable
{
    public TempFile(byte[] contents)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"tern-boot-{Guid.NewGuid():N}");
        File.WriteAllBytes(Path, contents);
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}
