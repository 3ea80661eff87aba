namespace Tern.Devices.Board;

/// <summary>
/// A console sink that keeps what the guest printed, addressed by its offset in all the guest's
/// output (the cluster's per-VM ring). A live migration carries its tail, so the guest's output on
/// the new host continues at the same offsets and a follower loses nothing at the switch-over.
/// </summary>
public interface IConsoleHistory
{
    /// <summary>How many bytes the guest has written in all, and the newest of them still kept.</summary>
    (long Written, byte[] Tail) Snapshot();

    /// <summary>Makes this history, still empty, go on where another left off.</summary>
    void Continue(long written, ReadOnlySpan<byte> tail);
}
