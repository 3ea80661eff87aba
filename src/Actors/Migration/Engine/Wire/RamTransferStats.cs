namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>
/// What RAM sections carried, QEMU's way: <see cref="NormalPages"/> went as data, <see cref="ZeroPages"/>
/// only as zero ranges; <see cref="Bytes"/> counts everything on the wire (headers, tables, data).
/// <see cref="ChecksumFailures"/> is only counted by the reader: pages that arrived with a wrong
/// checksum and must be sent again (see <see cref="MigrationStreamFormat"/>).
/// </summary>
public readonly record struct RamTransferStats(ulong NormalPages, ulong ZeroPages, ulong Bytes, int Sections, int Ranges, ulong ChecksumFailures = 0)
{
    public ulong PagesSent => NormalPages + ZeroPages;
    public ulong NormalBytes => NormalPages * MigrationStreamFormat.PageSize;

    public static RamTransferStats operator +(RamTransferStats a, RamTransferStats b) => new(
        a.NormalPages + b.NormalPages, a.ZeroPages + b.ZeroPages, a.Bytes + b.Bytes,
        a.Sections + b.Sections, a.Ranges + b.Ranges, a.ChecksumFailures + b.ChecksumFailures);
}
