using Tern.Actors.Cluster.Protocol;
using Tern.Devices.Config;
using Tern.Kvm;

namespace Tern.Actors.Cluster.Host;

/// <summary>
/// The directories a cluster VM's files (kernel, initrd, disks) must lie in, from
/// tern.host.image-dirs: without it the control API could make a root node read or write any file
/// on the host. A file counts only if the path, with every symbolic link resolved, is a regular
/// file beneath one of them, so a link inside an image directory cannot lead out of it.
/// </summary>
public sealed class ImageDirectories
{
    public const string Setting = "tern.host.image-dirs";

    private readonly string[] _resolved;

    public ImageDirectories(IEnumerable<string> directories) =>
        _resolved = directories.Select(d => HostPath.Resolve(d)).OfType<string>().ToArray();

    /// <summary>What is wrong with the definition's files on this host, one phrase each; empty when all are allowed.</summary>
    public IReadOnlyList<string> Problems(VmDefinition vm)
    {
        var files = new List<(string What, string Path)> { ("kernel", vm.Kernel) };
        if (vm.Initrd is not null) files.Add(("initrd", vm.Initrd));
        files.AddRange((vm.Disks ?? []).Select(d => ("disk", d.Path)));
        return files.Select(f => Problem(f.What, f.Path)).OfType<string>().ToArray();
    }

    private string? Problem(string what, string path)
    {
        string shown = EchoedText.Clip(path);
        if (_resolved.Length == 0) return $"{what} '{shown}': this host allows no image files (set {Setting})";
        if (HostPath.Resolve(path) is not { } real) return $"{what} '{shown}' does not exist";
        if (!_resolved.Any(d => HostPath.IsWithin(real, d))) return $"{what} '{shown}' is not in a directory of {Setting}";
        HostFileKind kind;
        try
        {
            kind = HostPath.KindOf(real);
        }
        catch (IOException e)
        {
            return $"{what} '{shown}' cannot be inspected: {e.Message}";
        }
        return kind == HostFileKind.Regular ? null : $"{what} '{shown}' is not a regular file";
    }
}
