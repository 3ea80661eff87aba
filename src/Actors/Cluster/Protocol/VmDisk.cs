namespace Tern.Actors.Cluster.Protocol;

/// <summary>
/// A disk of a cluster VM: an image path every host sees the same, read-only unless
/// <paramref name="Writable"/> was asked for. A bare path converts to a read-only disk.
/// </summary>
public sealed record VmDisk(string Path, bool Writable = false)
{
    public static implicit operator VmDisk(string path) => new(path);

    public override string ToString() => Writable ? $"{Path} (writable)" : Path;
}
