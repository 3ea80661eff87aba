namespace Tern.Kvm.Memory;

/// <summary>
/// Tracks which guest pages change during a live migration: KVM's dirty log sees writes made by the
/// vCPUs, the <see cref="DirtyBitmap"/> of each region sees writes made by the VMM (devices, DMA),
/// and each <see cref="Sync"/> returns their union per region in buffers allocated once.
///
/// The first Sync after <see cref="Start"/> reports the pages written since Start, not every page:
/// the caller sends all of RAM (skipping zero pages) after Start and then only what each Sync
/// reports. Start clears what the VMM bitmaps marked before it; KVM starts its log empty.
///
/// Stop turns both kinds of tracking off; it is safe to call twice, Dispose calls it, and a failed
/// Start or Sync calls it before throwing. One thread drives a tracker (the migration's).
/// </summary>
public sealed class DirtyPageTracker : IDisposable
{
    private readonly Vm _vm;
    private readonly GuestMemory _memory;
    private readonly RegionDirtyLog[] _logs;
    private bool _tracking;

    public DirtyPageTracker(Vm vm, GuestMemory memory)
    {
        foreach (var region in memory.Regions)
            if (!vm.Maps(region)) throw new ArgumentException($"region at 0x{region.Start:x} is not mapped into the VM", nameof(memory));
        _vm = vm;
        _memory = memory;
        _logs = memory.Regions.Select(r => new RegionDirtyLog(r)).ToArray();
    }

    /// <summary>One log per RAM region, in the order of <see cref="GuestMemory.Regions"/>.</summary>
    public IReadOnlyList<RegionDirtyLog> Regions => _logs;

    public bool IsTracking => _tracking;

    /// <summary>Turns on KVM's dirty log and the VMM's dirty bitmaps.</summary>
    public void Start()
    {
        if (_tracking) throw new InvalidOperationException("dirty tracking is already on");
        _tracking = true;
        try
        {
            foreach (var log in _logs)
            {
                log.Region.Dirty.DrainInto(log.Words); // drop marks left from an earlier migration
                log.Clear();
            }
            _memory.TrackDirty(true);
            _vm.SetDirtyLogging(true);
        }
        catch
        {
            StopQuietly();
            throw;
        }
    }

    /// <summary>
    /// Fetches and clears the pages dirtied since the last Sync (or Start), per region; returns the
    /// total. Read the bitmaps from <see cref="Regions"/> before the next Sync. Does not allocate.
    /// </summary>
    public ulong Sync()
    {
        if (!_tracking) throw new InvalidOperationException("dirty tracking is off");
        try
        {
            ulong total = 0;
            foreach (var log in _logs)
            {
                _vm.GetDirtyLog(log.Region, log.Words); // overwrites the whole buffer
                log.Region.Dirty.DrainInto(log.Words);  // ORs in the VMM's writes
                log.Count();
                total += log.DirtyPages;
            }
            return total;
        }
        catch
        {
            // KVM has cleared part of its log: what was dirty is lost, so this tracking is over.
            StopQuietly();
            throw;
        }
    }

    /// <summary>Turns both kinds of tracking off. Does nothing when they are off already.</summary>
    public void Stop()
    {
        if (!_tracking) return;
        _tracking = false;
        try
        {
            _vm.SetDirtyLogging(false);
        }
        finally
        {
            _memory.TrackDirty(false);
        }
    }

    private void StopQuietly()
    {
        try
        {
            Stop();
        }
        catch (KvmException)
        {
            // The original failure is the one to report; the VMM side is off regardless (finally).
        }
    }

    public void Dispose() => Stop();
}
