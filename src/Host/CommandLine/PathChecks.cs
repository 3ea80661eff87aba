using Tern.Devices.Config;
using Tern.Kvm;

namespace Tern.Host.CommandLine;

/// <summary>
/// Checks that the files a command line names are usable, without creating or changing any:
/// opening for reading (or reading and writing) and closing again changes nothing on disk.
/// </summary>
internal static class PathChecks
{
    /// <summary>The longest UNIX socket path: sun_path is 108 bytes with the terminating NUL.</summary>
    public const int MaxSocketPathBytes = 107;

    /// <summary>A regular file the VMM will read (kernel, initrd).</summary>
    public static void RequireReadableFile(string path, string what)
    {
        var kind = KindOf(path, what);
        if (kind == HostFileKind.Missing) throw new CommandLineException($"{what} file '{EchoedText.Clip(path)}' does not exist");
        if (kind != HostFileKind.Regular) throw new CommandLineException($"{what} '{EchoedText.Clip(path)}' is not a regular file");
        TryOpen(path, FileAccess.Read, what);
    }

    /// <summary>A drive backing file: a regular file or block device, readable, and writable unless read-only.</summary>
    public static void RequireDriveFile(string path, string driveId, bool writable)
    {
        string what = $"drive '{EchoedText.Clip(driveId)}'";
        var kind = KindOf(path, what);
        if (kind == HostFileKind.Missing) throw new CommandLineException($"{what} file '{EchoedText.Clip(path)}' does not exist");
        if (kind is not (HostFileKind.Regular or HostFileKind.BlockDevice))
            throw new CommandLineException($"{what} file '{EchoedText.Clip(path)}' is not a regular file or block device");
        TryOpen(path, FileAccess.Read, what);
        if (writable) TryOpen(path, FileAccess.ReadWrite, what);
    }

    /// <summary>A file the VMM will create later (serial log, pid file, socket): its directory must exist.</summary>
    public static void RequireParentDirectory(string path, string what)
    {
        if (path.Length == 0) throw new CommandLineException($"{what} path is empty");
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && KindOf(directory, what) != HostFileKind.Directory)
            throw new CommandLineException($"{what} directory '{EchoedText.Clip(directory)}' does not exist");
    }

    /// <summary>
    /// A file the VMM will write (the serial log): an existing one must be a regular file or a
    /// character device (a terminal, /dev/null) it may write; a new one needs its directory.
    /// </summary>
    public static void RequireWritableFile(string path, string what)
    {
        var kind = KindOf(path, what);
        if (kind == HostFileKind.Missing)
        {
            RequireParentDirectory(path, $"{what} file");
            return;
        }
        if (kind is not (HostFileKind.Regular or HostFileKind.CharacterDevice))
            throw new CommandLineException($"{what} file '{EchoedText.Clip(path)}' is not a regular file");
        TryOpen(path, FileAccess.Write, what);
    }

    /// <summary>A UNIX socket the VMM will listen on: its directory must exist, and a file already there must be a socket.</summary>
    public static void RequireSocketPath(string path, string what)
    {
        RequireParentDirectory(path, what);
        var kind = KindOf(path, what);
        if (kind is not (HostFileKind.Missing or HostFileKind.Socket))
            throw new CommandLineException($"{what} '{EchoedText.Clip(path)}' exists and is not a socket");
    }

    public static void RequireDirectory(string path, string what)
    {
        if (KindOf(path, what) != HostFileKind.Directory)
            throw new CommandLineException($"{what} directory '{EchoedText.Clip(path)}' does not exist");
    }

    /// <summary>The kind of <paramref name="path"/>; a stat failure other than "missing" is a command-line error.</summary>
    public static HostFileKind KindOf(string path, string what)
    {
        try
        {
            return HostPath.KindOf(path);
        }
        catch (IOException e)
        {
            throw new CommandLineException($"{what} file '{EchoedText.Clip(path)}' cannot be inspected: {e.Message}");
        }
    }

    private static void TryOpen(string path, FileAccess access, string what)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, access, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string mode = access == FileAccess.Read ? "readable" : "writable";
            throw new CommandLineException($"{what} file '{EchoedText.Clip(path)}' is not {mode}");
        }
    }
}
