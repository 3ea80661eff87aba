using Tern.Devices.Board;

namespace Tern.Devices.Virtio.Block;

/// <summary>
/// A replicated guest's disk writes, held like its network output (Remus's disk buffering): while
/// holding, a write goes into an in-memory overlay marked with its epoch instead of the image; the
/// guest reads its own writes back through the overlay; and the writes of an epoch reach the image,
/// in order, only once that epoch's checkpoint is committed on the standby. The image (shared with
/// the standby) is therefore never newer than the standby's memory. Each checkpoint carries its
/// epoch's writes as well (<see cref="WritesOf"/>), so a standby that committed a checkpoint whose
/// writes the primary never got to flush applies them itself when it takes over.
/// Thread-safe: the I/O thread writes and reads, the replication releases.
/// </summary>
public sealed class DiskWriteHold(Action<ReadOnlySpan<byte>, long> writeThrough) : IHeldOutput
{
    private const int SectorSize = 512;
    /// <summary>Held bytes past which a write fails with an I/O error for the guest to retry (its disk is slower than the link).</summary>
    public const long MaxHeldBytes = 256L << 20;

    private readonly Lock _gate = new();
    private readonly HeldOutput<HeldWrite> _writes = new(MaxHeldBytes, w => w.Data.Length);
    /// <summary>The newest held bytes of each sector, by sector number.</summary>
    private readonly Dictionary<long, (long Epoch, byte[] Data, int At)> _overlay = [];
    private bool _holding;
    private long _epoch;

    public bool Holding
    {
        get
        {
            lock (_gate) return _holding;
        }
    }

    /// <summary>
    /// Keeps a write of <paramref name="data"/> at <paramref name="offset"/> (512-aligned) while
    /// holding, else writes it through; false when too much is held already.
    /// </summary>
    public bool TryWrite(byte[] data, long offset)
    {
        lock (_gate)
        {
            if (!_holding)
            {
                writeThrough(data, offset);
                return true;
            }
            if (!_writes.Add(_epoch, new HeldWrite(_epoch, offset, data))) return false;
            for (int at = 0; at < data.Length; at += SectorSize) _overlay[(offset + at) / SectorSize] = (_epoch, data, at);
            return true;
        }
    }

    /// <summary>Whether any held sector lies in the <paramref name="length"/> bytes at <paramref name="offset"/>: only then must a read be patched.</summary>
    public bool Covers(long offset, long length)
    {
        lock (_gate)
        {
            if (_overlay.Count == 0) return false;
            for (long sector = offset / SectorSize; sector < (offset + length + SectorSize - 1) / SectorSize; sector++)
                if (_overlay.ContainsKey(sector)) return true;
            return false;
        }
    }

    /// <summary>Lays the held sectors over <paramref name="read"/>, which the image gave for <paramref name="offset"/>.</summary>
    public void Overlay(Span<byte> read, long offset)
    {
        lock (_gate)
        {
            if (_overlay.Count == 0) return;
            for (int at = 0; at < read.Length; at += SectorSize)
                if (_overlay.TryGetValue((offset + at) / SectorSize, out var held))
                    held.Data.AsSpan(held.At, SectorSize).CopyTo(read.Slice(at, SectorSize));
        }
    }

    /// <summary>The writes epoch <paramref name="epoch"/> made, in order (called with the guest paused, at its checkpoint).</summary>
    public IReadOnlyList<(long Offset, byte[] Data)> WritesOf(long epoch)
    {
        lock (_gate) return _writes.Items.Where(w => w.Epoch == epoch).Select(w => (w.Offset, w.Data)).ToArray();
    }

    public void Begin(long epoch)
    {
        lock (_gate) (_holding, _epoch) = (true, epoch);
    }

    public void Release(long epoch)
    {
        lock (_gate) Flush(_writes.Release(epoch));
    }

    public void ReleaseAll()
    {
        lock (_gate)
        {
            Flush(_writes.ReleaseAll());
            _holding = false;
        }
    }

    /// <summary>Fenced: the standby may be running from a checkpoint these writes come after; none may reach the image.</summary>
    public void Discard()
    {
        lock (_gate)
        {
            _writes.Discard();
            _overlay.Clear();
        }
    }

    private void Flush(IReadOnlyList<HeldWrite> released)
    {
        foreach (var w in released)
        {
            writeThrough(w.Data, w.Offset);
            for (int at = 0; at < w.Data.Length; at += SectorSize)
            {
                long sector = (w.Offset + at) / SectorSize;
                if (_overlay.TryGetValue(sector, out var held) && held.Epoch <= w.Epoch) _overlay.Remove(sector);
            }
        }
    }

    private sealed record HeldWrite(long Epoch, long Offset, byte[] Data);
}
