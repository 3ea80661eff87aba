namespace Tern.Actors.Migration.Engine.Wire;

/// <summary>
/// The Tern migration stream, format version 1: how a VM travels from the source <c>tern</c> to
/// the destination <c>tern -incoming</c> over one TCP or UNIX socket. Written by
/// <see cref="MigrationStreamWriter"/>, read by <see cref="MigrationStreamReader"/>; the destination's
/// answers travel back on the same socket, and the source's commit follows End, as back-channel
/// frames (<see cref="MigrationBackChannel"/>). Every integer is little-endian. Every byte is
/// untrusted on the receiving side.
/// <para><b>TLS</b> sits below this format. When the migration uses TLS (migrate-set-parameters
/// <c>tls-creds</c> on both sides, or a cluster node's certificate), every connection, the main
/// one and each multifd data channel, first completes a TLS handshake in which each side checks
/// the other's certificate against its CA (the source also checks that the destination's names
/// tls-hostname or the URI's host); only then does the Header below travel, inside TLS, and
/// everything here holds unchanged (the checksums still guard against bugs, TLS against people).
/// A failed handshake moves no byte of the format: the source's migration fails with a one-line
/// <c>error-desc</c> and its guest goes on; the destination treats it as any connection that is not
/// a migration: it logs it in one line, closes it and goes on waiting. A destination that requires TLS answers a
/// plain source with a back-channel Error frame in clear, so that the source can say why. See
/// <see cref="Transport.MigrationConnection"/>.</para>
/// <para><b>Sequence</b> on the main socket, as <c>PrecopySender</c> and <c>IncomingReceiver</c> run it.
/// Left, what the source writes: stream sections, and after End one back-channel frame. Right,
/// the back-channel frames the destination writes in the other direction
/// (<see cref="MigrationBackChannel"/>). The source waits for each answer shown before going on.</para>
/// <code>
/// source writes                       destination answers
/// Header, Config                      Ack(0); or Error "configuration differs: ..."
/// [Channel]                           (none) multifd: session id, count, index 0; then the
///                                     source opens the data channels (below)
/// Ram* RoundEnd(1)                    Ack(1)   round 1: all RAM
/// Ram* RoundEnd(n)                    Ack(n)   round n: the pages the last dirty sync found; the
///                                              source syncs only after Ack(n), then asks the
///                                              ConvergencePolicy for round n+1 or stop-and-copy
/// -- stop-and-copy: the guest is paused on the source --
/// Ram* RoundEnd(last)                 Ack(last)
/// State* ... "vm/run" ["vm/console"]  (none) every component's state
/// End                                 Ack(RestoredSeq); or Error
///                                     the source let go of the image locks before End; the
///                                     destination waits for every data channel's End, refuses
///                                     End while a page is unverified, restores the state (the
///                                     guest does not run) and takes the image locks
/// -- commit handshake: both sides hold the guest, paused --
/// back-channel Done                   Done     the commit: the guest is the destination's; it
///                                              resumes it if "vm/run" said it ran, then answers
/// or back-channel Error               (none)   switch-over refused (the cluster's commit
///                                              approver) or canceled: the destination lets go of
///                                              the image locks and discards; the source takes
///                                              them back and its guest goes on
/// </code>
/// <para><b>Failures</b>. A destination that refuses or fails at any point writes one back-channel
/// Error naming the fault (when the socket still takes it), closes and discards; before its commit
/// the source, reading that answer or finding the connection gone, reports why and keeps its guest.
/// A source canceled before its commit writes a Cancel section in place of the next section (when
/// canceled during the commit handshake, after its Error frame, which is all the destination still
/// reads); the destination discards. After its Done the source never resumes its guest by itself:
/// without the destination's Done the migration ends in doubt, the guest paused on the source.</para>
/// <para><b>Connections</b>: the destination takes the first connection that sends a valid Header
/// within 10 s (<c>IncomingReceiver.HeaderTimeout</c>). One that closes first, sends other bytes or
/// stays silent (a port scan, a stray client) is logged in one line and closed, and the destination
/// goes on listening. Once a valid Header has arrived, any fault ends the migration.</para>
/// <para><b>Multifd</b>: after the main socket's Channel section the source opens that many more
/// connections to the same address, the data channels. Each starts with the Header and a Channel
/// section (same session id and count, its index 1..count), then carries only Ram sections and
/// finally End. A guest page always travels on the same channel (channel = 1 + (gpa / 2 MiB) mod
/// count), so the order in which one page's copies arrive is the order they were sent. Data
/// channels carry no back channel: the rounds' Ram sections travel on them, RoundEnd on the main
/// socket, so there Ack(n) says only that the main socket reached RoundEnd(n). In stop-and-copy
/// the source ends every data channel before the main socket's RoundEnd(last); the destination
/// applies the main socket's End only once every data channel has read its own End.</para>
/// <para><b>Header</b> (12 bytes): magic <c>"TERN-MIG"</c> (8 ASCII bytes), format version u32 = 1.</para>
/// <para><b>Section</b></para>
/// <code>
/// kind u8 | id length u16 | id (UTF-8) | version u32 | payload length u64 | payload | crc u32
/// </code>
/// <c>crc</c> is CRC32C (Castagnoli) of every section byte from <c>kind</c> to the end of the
/// payload: a damaged header is caught like a damaged payload. Component ids are at most 64 bytes
/// of UTF-8 without control characters, empty for every kind but State and CheckpointDisk. The version is the
/// component's own for State and the section layout version (1) for the others.
/// <code>
/// kind          payload
/// 1 Config      the fingerprint as JSON (MigrationFingerprintJson), 1 byte .. 1 MiB
/// 2 Ram         range table: count u32 (1..1024),
///               count x { gpa u64, length u64, flags u8 }   flags 0 = data follows, 1 = zero range
///               then one CRC32C u32 per data page (4 KiB), in stream order
///               -> payload length = 4 + 17 * count + 4 * data pages, at most 4 MiB of data
///               The page data follows the section's crc (it is not part of the payload).
/// 3 State       opaque saved state of component id at its version (vCPU, device, irqchip, VM; "vm/run"
///               the run state; "vm/console" the kept console output, from a cluster VM), 0 .. 16 MiB
/// 4 RoundEnd    round u32 (1, 2, 3 ... in order), pages sent this round u64 (data + zero pages)
/// 5 End         empty: everything has been sent
/// 6 Cancel      empty: the migration is abandoned; the destination discards the VM
/// 7 Channel     session id (16 random bytes), data channel count u16 (1..64), this socket's index u16
/// 8 SharedRam   guest RAM bytes u64: an offer to hand RAM over by descriptor (below)
/// 9 Replicate   epoch length in ms u32 (1..60000): the source asks to replicate (below)
/// 10 Checkpoint epoch u64, flushed i64: checkpoint <i>epoch</i> begins; the source has written the
///               held disk writes of every epoch up to <i>flushed</i> (-1: none) to the images
/// 11 CheckpointRam  count u32 (1..1024), count x gpa u64 (page-aligned, increasing, inside guest
///               RAM), then count pages of 4 KiB: all inside the payload, so the section's crc
///               covers the data
/// 12 CheckpointEnd  epoch u64, pages u64, states u32, digest u32: checkpoint <i>epoch</i> is whole
/// 13 CheckpointDisk id = the drive's id; offset u64, then the written bytes (512 .. 4 MiB, a
///               multiple of 512): one guest write of the epoch, in the order the guest made them
/// 14 DiskCopy   id = the drive's id; drive length u64, offset u64, then the image's bytes there
///               (0 .. 4 MiB, a multiple of 512; offset a multiple of 512, the bytes inside the drive)
/// </code>
/// <para><b>Shared RAM handed over</b> (same host): when the source's RAM is a shared mapping of a file
/// no one else can open (<c>-machine mem-share=on</c>: a memfd), the socket is a UNIX socket without
/// TLS and the <c>x-ignore-shared</c> capability is on (the default), the source sends SharedRam
/// right after Config's Ack(0); once accepted it replaces everything from Channel to the last
/// RoundEnd (multifd opens no data channel). Declined, the stream goes on as above from Channel.</para>
/// <code>
/// source writes                       destination answers
/// Header, Config                      Ack(0)
/// SharedRam(ram bytes)                Ack(0xFFFFFFF0) declined: its RAM is not shared; the source
///                                              goes on with Channel/rounds as above (copying)
///                                     Error "the source's shared guest RAM is N bytes ..., guest
///                                              RAM here is M bytes ..." (sizes differ)
///                                     Ack(0xFFFFFFF1) ready for the descriptor
/// one byte 0xFD carrying, as SCM_RIGHTS ancillary data, the descriptor of the source's RAM file
///                                     Ack(0xFFFFFFF2) mapped: the destination checked it (a regular
///                                              file of exactly its RAM size, same seals and page size;
///                                              else Error naming both values) and mapped it over its
///                                              own RAM at the same addresses (KVM's slots unchanged)
/// -- stop-and-copy: the guest is paused on the source --
/// State* ... "vm/run" ["vm/console"]  (none)   as above; no Ram section and no RoundEnd
/// End                                 Ack(RestoredSeq); then the commit handshake as above
/// </code>
/// <para>No dirty logging and no RAM round: both processes map the same pages. Before the commit
/// the destination only maps them (a Ram section after the handover is refused, and its vCPUs do
/// not run), so the source's guest, resumed after any failure, finds its memory as it left it.
/// Neither side punches the shared pages out of the file afterwards (a discard only unmaps). The
/// marker byte is outside the section framing; the reader requires an empty buffer after SharedRam,
/// and the source sends the byte only after Ack(0xFFFFFFF1), so no buffered read can swallow it.</para>
/// <para><b>Continuous replication</b> (the <c>x-colo</c> capability on both sides; issue 18's
/// protected VMs): the source is the primary, the destination a standby that never runs the guest
/// unless promoted. The source sends Replicate right after Config's Ack(0) (the RAM is never
/// handed over and no Channel follows: one socket), then the rounds as above with the guest
/// running, applied straight into the standby's memory. Where a migration would stop and copy,
/// the checkpoints begin and go on until one side ends them:</para>
/// <code>
/// source writes                       destination answers
/// Replicate(epoch ms)                 Ack(0xFFFFFFF3) a standby, ready; or Error "... not a standby"
/// DiskCopy*                           (none)   with x-colo-disk-copy: each writable drive's image (below)
/// Ram* RoundEnd(n)                    Ack(n)   the initial sync, as the rounds above
/// -- every epoch, with the guest paused on the source only while it copies into a local buffer --
/// Checkpoint(e)                       (none)   e = 0, 1, 2 ... in order; 0 ends the initial sync
/// CheckpointRam*                      (none)   the pages dirtied in epoch e, staged apart from the guest
/// CheckpointDisk*                     (none)   the disk writes of epoch e, staged
/// State* ... "vm/run" ["vm/console"]  (none)   every component's state, staged
/// CheckpointEnd(e, pages, states, digest)
///                                     Committed(e) the checkpoint was whole and verified, and is applied:
///                                              the pages copied into guest memory, the state restored
///                                              (the guest still does not run)
/// Cancel                              (none)   replication ended by the source: the standby discards
/// </code>
/// <para>The source may write checkpoint e+1 before Committed(e) arrives (at most a few in
/// flight); Committed is cumulative. CheckpointEnd's <c>pages</c> and <c>states</c> count the
/// checkpoint's pages and State sections, and <c>digest</c> is CRC32C over every byte of its
/// sections from Checkpoint to the last before CheckpointEnd (headers, payloads and crcs), so a
/// section lost, repeated or reordered is caught though each section's own crc holds. The reader
/// checks a checkpoint as it does every section, and also: Checkpoint only after the initial rounds
/// began (Replicate accepted) and with the next epoch number, never while one is open, its flushed
/// epoch below it and never going back; CheckpointRam, CheckpointDisk and State only inside one; CheckpointEnd with the open epoch, the counts and the digest;
/// no Ram, RoundEnd or End section once the checkpoints began. A checkpoint that fails a check
/// is never applied: the standby keeps the last committed one, answers Error and closes; the
/// source must sync afresh. A broken connection leaves the standby holding its last committed
/// checkpoint, paused, until it is promoted (its guest resumes from there) or discarded.</para>
/// <para><b>Disks</b> in a replication are shared, as in a migration, unless both sides set
/// x-colo-disk-copy. Either way the source holds each guest write in memory until its epoch's
/// checkpoint is committed, then writes it to its image, so that image never runs ahead of the
/// standby. Shared: the standby keeps the writes of committed checkpoints past the source's
/// flushed epoch; when it takes over it writes those, in order, before its guest runs (rewriting
/// what the source may already have written is harmless: same bytes, same order).
/// Copied (x-colo-disk-copy): each writable drive of the standby is its own file (its path is not
/// compared with the source's), and the source copies its image into it during the initial sync.
/// Holding starts before the copy, with the guest's devices paused a moment: the source's images
/// then stand still while they are read, and every write made during the sync travels in
/// checkpoint 0. The first DiskCopy of a drive empties the standby's file (it must be a regular
/// file of the same length); all-zero stretches are not sent. At every commit the standby writes
/// the checkpoint's disk writes into its copies, so at a takeover its disks are exactly as of its
/// last committed checkpoint, whatever became of the source's. Checks: DiskCopy only after
/// Replicate and before checkpoint 0, with the drive's length unchanged; refused by a standby
/// without x-colo-disk-copy, for a drive it lacks or holds read-only, or of another length; and
/// checkpoint 0 refused while a writable drive was not copied.
/// A CheckpointDisk naming a drive the standby lacks, or not fitting it, refuses the checkpoint.</para>
/// <para><b>Ram page data</b>: right after a Ram section's crc come the bytes of its data ranges, in
/// table order, with no framing. The writer sends them straight from guest memory and the reader
/// receives them straight into guest memory, so no page is copied through a buffer on either
/// side. A data range's pages therefore land in guest memory <i>before</i> their checksums are
/// checked: a bad page is already in the destination's RAM when it is found. That is acceptable
/// because the destination's guest never runs unless the stream ends well.</para>
/// <para>Why one checksum per page, outside the section crc: while pre-copy runs, the guest keeps
/// writing, so a page can change between the moment the writer computes its checksum and the
/// moment the kernel copies it into the socket. Such a page arrives with a wrong checksum through
/// no fault of the link; it was dirtied during the round, so the source sends it again in the
/// next one. The reader therefore records a page whose checksum fails as <i>unverified</i>
/// (<see cref="UnverifiedPages"/>), clears the mark when the page later arrives intact (as data
/// or in a zero range), and refuses End while any page is still unverified. A page damaged on
/// the way and never resent makes the migration fail at End; a racing guest costs nothing.</para>
/// <para><b>Receiver's checks</b>, in order, each failing with <see cref="MigrationStreamException"/>:
/// magic, format version; per section: kind known and legal here (Config first and once, no section
/// after End or Cancel, and no byte that arrived with them: the source's commit frame after End comes
/// only once the destination has answered, and is read as a back-channel frame), id length, payload length within the kind's limit, the stream not ending
/// inside the section, crc; then the meaning: id empty or (State, CheckpointDisk, DiskCopy) non-empty, valid UTF-8 without
/// control characters; section version; Config JSON (MigrationFingerprintJson); Ram count 1..1024,
/// payload length matching the table, each range's flags, non-zero length, page alignment, inside
/// one guest RAM region, data at most 4 MiB; RoundEnd exactly 12 bytes and the next round number;
/// End and Cancel empty, End with no unverified page; Channel exactly 20 bytes, once, right after
/// Config on the main socket (index 0) and first on a data channel (index 1..count), and a data
/// channel holds nothing but Ram and End after it; SharedRam exactly 8 bytes, only right after Config
/// on the main socket (before Channel), with no byte behind it, and no Ram, Channel or second SharedRam
/// section once the RAM was handed over. Ram ranges are all checked before any byte
/// is written to guest memory.</para>
/// </summary>
public static class MigrationStreamFormat
{
    /// <summary>"TERN-MIG".</summary>
    public static ReadOnlySpan<byte> Magic => "TERN-MIG"u8;
    public const uint FormatVersion = 1;
    public const int HeaderBytes = 12;

    /// <summary>Version of the layout of every section kind but State.</summary>
    public const uint SectionVersion = 1;
    public const int MaxComponentIdBytes = 64;
    /// <summary>kind + id length + id + version + payload length.</summary>
    public const int MaxSectionHeaderBytes = 1 + 2 + MaxComponentIdBytes + 4 + 8;
    public const int CrcBytes = 4;

    public const int MaxConfigBytes = 1 << 20;
    public const int MaxStateBytes = 16 << 20;

    public const int PageSize = 4096;
    public const int MaxRamRanges = 1024;
    public const int MaxRamDataBytes = 4 << 20;
    public const int MaxRamDataPages = MaxRamDataBytes / PageSize;
    public const int RamRangeEntryBytes = 8 + 8 + 1;
    public const int MaxRamTableBytes = 4 + MaxRamRanges * RamRangeEntryBytes + MaxRamDataPages * 4;
    public const byte RamFlagData = 0;
    public const byte RamFlagZero = 1;

    public const int RoundEndBytes = 4 + 8;

    public const int SessionIdBytes = 16;
    public const int ChannelBytes = SessionIdBytes + 2 + 2;
    public const int MaxDataChannels = 64;
    /// <summary>Pages travel on data channels in blocks of this size (2 MiB), round-robin by address.</summary>
    public const int ChannelBlockShift = 21;

    public const int SharedRamBytes = 8;
    /// <summary>Ack of SharedRam: this side's RAM is not shared, so the source copies it as usual.</summary>
    public const uint SharedRamDeclined = 0xFFFF_FFF0;
    /// <summary>Ack of SharedRam: send the descriptor.</summary>
    public const uint SharedRamReady = 0xFFFF_FFF1;
    /// <summary>Ack of the descriptor: it is mapped here as the guest's RAM; send the state.</summary>
    public const uint SharedRamMapped = 0xFFFF_FFF2;

    /// <summary>Ack of Replicate: this side is a standby and takes checkpoints.</summary>
    public const uint ReplicateReady = 0xFFFF_FFF3;
    public const int ReplicateBytes = 4;
    public const uint MaxEpochMs = 60_000;
    public const int CheckpointBytes = 16;
    public const int CheckpointDiskHeaderBytes = 8;
    public const int MaxCheckpointDiskBytes = CheckpointDiskHeaderBytes + (4 << 20);
    public const int DiskSectorSize = 512;
    public const int DiskCopyHeaderBytes = 16;
    public const int MaxDiskCopyDataBytes = 4 << 20;
    public const int MaxDiskCopyBytes = DiskCopyHeaderBytes + MaxDiskCopyDataBytes;
    public const int CheckpointEndBytes = 8 + 8 + 4 + 4;
    /// <summary>count, gpas, pages: at most 4 MiB of page data per CheckpointRam section.</summary>
    public const int MaxCheckpointRamBytes = 4 + MaxRamDataPages * (8 + PageSize);

    /// <summary>The payload length a CheckpointRam section of <paramref name="pages"/> pages has.</summary>
    public static int CheckpointRamBytes(int pages) => 4 + pages * (8 + PageSize);

    /// <summary>
    /// The destination's back-channel Ack of End: the final state is restored and the image locks
    /// are taken; the guest does not run there before the source's commit (see the sequence).
    /// </summary>
    public const uint RestoredSeq = uint.MaxValue;

    /// <summary>The payload length a Ram table of <paramref name="ranges"/> ranges and <paramref name="dataPages"/> data pages must have.</summary>
    public static ulong RamTableBytes(ulong ranges, ulong dataPages) => 4 + ranges * RamRangeEntryBytes + dataPages * 4;
}

/// <summary>The first byte of a section.</summary>
public enum MigrationSectionKind : byte
{
    Config = 1,
    Ram = 2,
    State = 3,
    RoundEnd = 4,
    End = 5,
    Cancel = 6,
    Channel = 7,
    SharedRam = 8,
    Replicate = 9,
    Checkpoint = 10,
    CheckpointRam = 11,
    CheckpointEnd = 12,
    CheckpointDisk = 13,
    DiskCopy = 14,
}
