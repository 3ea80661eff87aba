using Microsoft.Win32.SafeHandles;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Kvm;

namespace Tern.Actors.Migration.Engine.Snapshot;

/// <summary>
/// A snapshot file being written: a new file beside the target, sized to header and RAM (all
/// hole), that replaces the target by rename only once it is whole and on stable storage (see
/// <see cref="SnapshotFormat"/>, "Writing"). Disposed before <see cref="Commit"/>, it removes itself.
/// </summary>
internal sealed class SnapshotFileWriter : IDisposable
{
    private readonly string _target;
    private readonly string _temporary;
    private readonly ulong _ramBytes;
    private bool _committed;

    public SafeFileHandle Handle { get; }

    private SnapshotFileWriter(string target, string temporary, SafeFileHandle handle, ulong ramBytes)
    {
        _target = target;
        _temporary = temporary;
        Handle = handle;
        _ramBytes = ramBytes;
    }

    /// <summary>Starts a snapshot of <paramref name="ramBytes"/> of guest RAM for <paramref name="target"/>; throws <see cref="SnapshotException"/> naming the path.</summary>
    public static SnapshotFileWriter Create(string target, ulong ramBytes)
    {
        string full = Path.GetFullPath(target);
        if (Directory.Exists(full)) throw new SnapshotException($"snapshot path {target} is a directory");
        string directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory)) throw new SnapshotException($"snapshot directory {directory} does not exist");
        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.part");
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SnapshotException($"cannot write a snapshot in {directory}: {e.Message}", e);
        }
        var writer = new SnapshotFileWriter(full, temporary, handle, ramBytes);
        try
        {
            RandomAccess.SetLength(handle, SnapshotFormat.RamOffset + (long)ramBytes);
        }
        catch (IOException e)
        {
            writer.Dispose();
            throw new SnapshotException($"cannot size the snapshot for {ramBytes >> 20} MiB of guest RAM: {e.Message}", e);
        }
        return writer;
    }

    /// <summary>Puts what was written so far on stable storage.</summary>
    public void SyncData() => SparseFile.SyncData(Handle);

    /// <summary>
    /// Appends the state (the embedded stream), syncs, writes the header, syncs, and renames the
    /// file over the target; the snapshot is complete and durable when this returns.
    /// </summary>
    public void Commit(ReadOnlySpan<byte> state)
    {
        long stateOffset = SnapshotFormat.RamOffset + (long)_ramBytes;
        RandomAccess.Write(Handle, state, stateOffset);
        RandomAccess.SetLength(Handle, stateOffset + state.Length);
        SparseFile.SyncData(Handle);
        RandomAccess.Write(Handle, SnapshotFormat.EncodeHeader(_ramBytes, (ulong)state.Length, Crc32C.Compute(state)), 0);
        SparseFile.SyncData(Handle);
        File.Move(_temporary, _target, overwrite: true);
        _committed = true;
        SparseFile.SyncDirectory(Path.GetDirectoryName(_target)!);
    }

    public void Dispose()
    {
        Handle.Dispose();
        if (_committed) return;
        try
        {
            File.Delete(_temporary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind under a name no one reads; nothing more to do.
        }
    }
}
