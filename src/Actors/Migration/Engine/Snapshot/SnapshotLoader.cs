using Microsoft.Win32.SafeHandles;
using Tern.Actors.Migration.Engine.Destination;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Devices.Board;
using Tern.Devices.Config;

namespace Tern.Actors.Migration.Engine.Snapshot;

/// <summary>
/// Restores a VM from a snapshot file (<c>-incoming file:PATH</c>) into its freshly built machine
/// before the guest first runs: the header and the state are read and checked in full (see the
/// reader's checks in <see cref="SnapshotFormat"/>), then guest RAM becomes the file's image of it
/// (mapped copy-on-write, or read in for preallocated, hugetlbfs or shared RAM), then the machine
/// state is restored and the disks' image locks taken. Nothing of the VM is touched before the
/// file has passed every check but its components' own; any fault throws <see cref="SnapshotException"/>
/// with one line, and the VM must be discarded.
/// </summary>
public static class SnapshotLoader
{
    /// <summary>Restores; returns whether the guest ran when it was saved (then it should run now).</summary>
    public static bool Restore(string path, IMigrationDestination destination, MigrationFingerprint own)
    {
        try
        {
            using var file = Open(path);
            var states = ReadState(file, destination, own);
            destination.Memory.LoadImage(file, SnapshotFormat.RamOffset);
            destination.RestoreState(states.All);
            if (states.Console is var (written, tail)) destination.ConsoleHistory?.Continue(written, tail);
            destination.LockDisks();
            return states.WasRunning ?? throw new SnapshotException("the snapshot's state lacks the guest's run state (vm/run)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MigrationStreamException or MigrationFailedException
                                   or MachineException or Tern.Kvm.KvmException)
        {
            throw new SnapshotException($"cannot restore {path}: {e.Message}", e);
        }
        catch (SnapshotException e)
        {
            throw new SnapshotException($"cannot restore {path}: {e.Message}", e);
        }
    }

    private static SafeFileHandle Open(string path)
    {
        if (Directory.Exists(path)) throw new SnapshotException("it is a directory");
        return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
    }

    /// <summary>The header, then the state's bytes against their checksum, then the embedded stream: Config (compared), State*, End.</summary>
    private static IncomingStates ReadState(SafeFileHandle file, IMigrationDestination destination, MigrationFingerprint own)
    {
        long length = RandomAccess.GetLength(file);
        var header = new byte[Math.Min(length, SnapshotFormat.HeaderBytes)];
        ReadFully(file, header, 0);
        var (stateOffset, stateBytes, stateCrc) = SnapshotFormat.DecodeHeader(header, length, destination.Memory.TotalSize);
        var state = new byte[stateBytes];
        ReadFully(file, state, stateOffset);
        if (Crc32C.Compute(state) != stateCrc) throw new SnapshotException("the snapshot's state checksum does not match: the file was changed or damaged");

        using var stream = new MemoryStream(state, writable: false);
        var reader = new MigrationStreamReader(stream, destination.Memory);
        if (reader.ReadNext() is not MigrationSection.Config config) throw new SnapshotException("the snapshot's state does not start with the configuration");
        var differences = config.Fingerprint.Differences(own);
        if (differences.Count > 0) throw new SnapshotException("configuration differs: " + string.Join("; ", differences));
        var states = new IncomingStates();
        while (true)
        {
            switch (reader.ReadNext())
            {
                case MigrationSection.State s:
                    states.Take(s);
                    break;
                case MigrationSection.End:
                    if (reader.BytesRead != state.Length) throw new SnapshotException($"{state.Length - reader.BytesRead} bytes follow the End of the snapshot's state");
                    return states;
                case var other:
                    throw new SnapshotException($"a {other.GetType().Name} section in the snapshot's state, which holds only Config, State and End");
            }
        }
    }

    /// <summary>Reads exactly <paramref name="into"/>'s length from <paramref name="offset"/>; the header has said the file is that long.</summary>
    private static void ReadFully(SafeFileHandle file, Span<byte> into, long offset)
    {
        for (int done = 0; done < into.Length;)
        {
            int n = RandomAccess.Read(file, into[done..], offset + done);
            if (n == 0) throw new SnapshotException("the snapshot ended early: it is shorter than its header says");
            done += n;
        }
    }
}
