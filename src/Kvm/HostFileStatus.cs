namespace Tern.Kvm;

/// <summary>
/// What statx(2) says of a path: its kind, and which file it is (device and inode), so a caller
/// can recognise the same file later.
/// </summary>
public readonly record struct HostFileStatus(HostFileKind Kind, ulong Device, ulong Inode)
{
    public static HostFileStatus Missing => new(HostFileKind.Missing, 0, 0);
}
