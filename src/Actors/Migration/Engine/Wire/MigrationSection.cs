using Tern.Devices.Config;

namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>One section as <see cref="MigrationStreamReader.ReadNext"/> returns it, already validated.</summary>
public abstract record MigrationSection
{
    private MigrationSection() { }

    /// <summary>The source's fingerprint, decoded; compare it with the destination's own.</summary>
    public sealed record Config(MigrationFingerprint Fingerprint) : MigrationSection;

    /// <summary>Multifd: which migration (<paramref name="Session"/>) this socket belongs to and its place in it.</summary>
    public sealed record Channel(Guid Session, int DataChannels, int Index) : MigrationSection;

    /// <summary>The source offers its shared RAM, <paramref name="RamBytes"/> long, by descriptor instead of by copy.</summary>
    public sealed record SharedRam(ulong RamBytes) : MigrationSection;

    /// <summary>The source asks this side to be a standby, checkpointed every <paramref name="EpochMs"/> ms.</summary>
    public sealed record Replicate(uint EpochMs) : MigrationSection;

    /// <summary>Checkpoint <paramref name="Epoch"/> begins: stage what follows apart from the guest. The source wrote its held disk writes up to epoch <paramref name="Flushed"/> (-1: none).</summary>
    public sealed record Checkpoint(ulong Epoch, long Flushed) : MigrationSection;

    /// <summary>A disk write of the open checkpoint: <paramref name="Data"/> at byte <paramref name="Offset"/> of drive <paramref name="DriveId"/> (not yet checked against the drives).</summary>
    public sealed record CheckpointDisk(string DriveId, long Offset, byte[] Data) : MigrationSection;

    /// <summary>
    /// Part of drive <paramref name="DriveId"/>'s image for a standby's own copy: <paramref name="Data"/>
    /// at <paramref name="Offset"/>, of a drive <paramref name="DriveLength"/> bytes long (checked to fit it).
    /// </summary>
    public sealed record DiskCopy(string DriveId, long DriveLength, long Offset, byte[] Data) : MigrationSection;

    /// <summary>Pages of the open checkpoint, checked: <paramref name="Gpas"/> increasing and inside guest RAM, <paramref name="Data"/> one page each (the array is the reader's payload, from offset <paramref name="DataOffset"/>).</summary>
    public sealed record CheckpointRam(ulong[] Gpas, byte[] Payload, int DataOffset) : MigrationSection
    {
        public ReadOnlySpan<byte> Page(int index) => Payload.AsSpan(DataOffset + index * MigrationStreamFormat.PageSize, MigrationStreamFormat.PageSize);
    }

    /// <summary>Checkpoint <paramref name="Epoch"/> arrived whole: its counts and digest matched.</summary>
    public sealed record CheckpointEnd(ulong Epoch, ulong Pages, uint States) : MigrationSection;

    /// <summary>A batch of pages now written into guest memory.</summary>
    public sealed record RamApplied(RamTransferStats Stats) : MigrationSection;

    /// <summary>A component's saved state; the caller checks that it knows the id and version.</summary>
    public sealed record State(string ComponentId, uint Version, byte[] Data) : MigrationSection;

    /// <summary>
    /// The source finished round <paramref name="Round"/> having sent <paramref name="PagesSent"/> pages;
    /// <paramref name="PagesReceived"/> is what this reader applied since the previous RoundEnd
    /// (equal on one socket; with several sockets the others' pages are counted there).
    /// </summary>
    public sealed record RoundEnd(uint Round, ulong PagesSent, ulong PagesReceived) : MigrationSection;

    /// <summary>Everything was sent and every page verified; restore the state and resume.</summary>
    public sealed record End : MigrationSection
    {
        public static readonly End Instance = new();
    }

    /// <summary>The source abandoned the migration; discard the VM.</summary>
    public sealed record Cancel : MigrationSection
    {
        public static readonly Cancel Instance = new();
    }
}
