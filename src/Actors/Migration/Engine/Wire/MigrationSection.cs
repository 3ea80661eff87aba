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
