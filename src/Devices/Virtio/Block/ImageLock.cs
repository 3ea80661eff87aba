using System.Runtime.InteropServices;
using Tern.Kvm;

namespace Tern.Devices.Virtio.Block;

/// <summary>
/// QEMU's image locking (block/file-posix.c), so that QEMU and Tern see each other on one image.
/// Each user holds a shared OFD lock on byte 100+i while it holds permission i, and on byte 200+i
/// while it refuses to share permission i with others. A permission can be taken only while no one
/// else holds its byte 200+i, and refused to others only while no one else holds its byte 100+i.
/// Tern asks what QEMU's virtio-blk asks without share-rw: consistent read, plus write when the
/// drive is read-write, sharing everything but write. So one writer excludes any other writer or
/// reader, and readers share the image with each other.
/// </summary>
public static class ImageLock
{
    public const long PermissionBase = 100;
    public const long SharedBase = 200;

    /// <summary>QEMU's BLK_PERM_* bits; bit i is locked at byte base + i.</summary>
    [Flags]
    public enum Permission
    {
        None = 0,
        ConsistentRead = 1,
        Write = 2,
        WriteUnchanged = 4,
        Resize = 8,
    }

    private const int PermissionCount = 4;
    private const Permission All = Permission.ConsistentRead | Permission.Write | Permission.WriteUnchanged | Permission.Resize;

    /// <summary>What a drive takes: consistent read, and write unless read-only.</summary>
    public static Permission Taken(bool writable) => Permission.ConsistentRead | (writable ? Permission.Write : Permission.None);

    /// <summary>What a drive lets others take: all but write (QEMU's share-rw=off).</summary>
    public const Permission Shared = All & ~Permission.Write;

    /// <summary>
    /// Locks the bytes for <paramref name="taken"/> and <paramref name="shared"/>, then checks that
    /// no one else's bytes forbid them (locking first means two users starting at once cannot both
    /// miss each other). On a conflict the bytes are released and <see cref="ImageLockedException"/>
    /// names the permission and the holders that could be found.
    /// </summary>
    public static void Acquire(HostFile file, Permission taken, Permission shared)
    {
        try
        {
            if ((Apply(file, taken, shared) ?? Conflict(file, taken, shared)) is { } refused)
            {
                Release(file);
                throw refused;
            }
        }
        catch (KvmException e)
        {
            Release(file);
            throw new ImageLockedException($"cannot lock {file.Path}: {Marshal.GetPInvokeErrorMessage(e.Errno)}");
        }
    }

    /// <summary>Drops every permission byte this file holds.</summary>
    public static void Release(HostFile file)
    {
        try
        {
            file.Unlock(PermissionBase, SharedBase + PermissionCount - PermissionBase);
        }
        catch (KvmException)
        {
            // Unlocking a range cannot fail on an open file; closing it releases the bytes anyway.
        }
    }

    /// <summary>Null when every byte was locked; else the refusal (someone holds one exclusively, which QEMU never does).</summary>
    private static ImageLockedException? Apply(HostFile file, Permission taken, Permission shared)
    {
        for (int i = 0; i < PermissionCount; i++)
        {
            var p = (Permission)(1 << i);
            if (taken.HasFlag(p) && !file.LockShared(PermissionBase + i)) return Refusal(file, p, PermissionBase + i, ofShared: false);
            if (!shared.HasFlag(p) && !file.LockShared(SharedBase + i)) return Refusal(file, p, SharedBase + i, ofShared: true);
        }
        return null;
    }

    private static ImageLockedException? Conflict(HostFile file, Permission taken, Permission shared)
    {
        for (int i = 0; i < PermissionCount; i++)
        {
            var p = (Permission)(1 << i);
            if (taken.HasFlag(p) && file.IsLockedElsewhere(SharedBase + i)) return Refusal(file, p, SharedBase + i, ofShared: false);
        }
        for (int i = 0; i < PermissionCount; i++)
        {
            var p = (Permission)(1 << i);
            if (!shared.HasFlag(p) && file.IsLockedElsewhere(PermissionBase + i)) return Refusal(file, p, PermissionBase + i, ofShared: true);
        }
        return null;
    }

    /// <summary>QEMU's wording ("Failed to get \"write\" lock"), with the image and who holds the byte.</summary>
    private static ImageLockedException Refusal(HostFile file, Permission p, long offset, bool ofShared)
    {
        var holders = file.LockHolders(offset);
        string by = holders.Count == 0 ? "another process uses it" : "held by " + string.Join(", ", holders);
        return new ImageLockedException($"failed to get {(ofShared ? "shared " : "")}\"{Name(p)}\" lock on {file.Path}: {by}");
    }

    public static string Name(Permission p) => p switch
    {
        Permission.ConsistentRead => "consistent read",
        Permission.Write => "write",
        Permission.WriteUnchanged => "write unchanged",
        _ => "resize",
    };
}

/// <summary>An image another user holds in a way this drive cannot share; the message is one line naming the image.</summary>
public sealed class ImageLockedException(string message) : Exception(message);
