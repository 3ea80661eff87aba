using Tern.Devices.Config;
using Tern.Kvm;

namespace Tern.Host.CommandLine;

/// <summary>
/// <c>-mem-path PATH</c>: as in StratoVirt an absolute path, either a directory (guest RAM gets a
/// new file there, unlinked at once) or a file (created if missing, its directory must exist).
/// </summary>
internal static class MemPathOption
{
    public static string Parse(string path)
    {
        if (!Path.IsPathFullyQualified(path)) throw new CommandLineException($"-mem-path '{EchoedText.Clip(path)}' is not an absolute path");
        var kind = PathChecks.KindOf(path, "-mem-path");
        if (kind == HostFileKind.Missing) PathChecks.RequireParentDirectory(path, "-mem-path");
        else if (kind is not (HostFileKind.Directory or HostFileKind.Regular))
            throw new CommandLineException($"-mem-path '{EchoedText.Clip(path)}' is neither a directory nor a regular file");
        return path;
    }
}
