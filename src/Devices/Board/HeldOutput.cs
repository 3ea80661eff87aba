namespace Tern.Devices.Board;

/// <summary>
/// What a protected guest sent to the outside world (network frames, console bytes), held by epoch
/// until the checkpoint that produced it is acknowledged (the replication's PrimaryEpochs): items
/// added during epoch N leave, in the order they were added, at <see cref="Release"/>(N) or a
/// later one. Bounded: past <see cref="LimitBytes"/> held, <see cref="Add"/> refuses, and the
/// caller drops the item as a congested link would (a network frame) or waits (console output).
/// Not thread-safe: one owner adds and releases.
/// </summary>
public sealed class HeldOutput<T>(long limitBytes, Func<T, long> sizeOf)
{
    private readonly Queue<(long Epoch, T Item)> _held = new();
    private long _newestEpoch = long.MinValue;

    public long LimitBytes { get; } = limitBytes;

    /// <summary>Bytes held now.</summary>
    public long HeldBytes { get; private set; }

    public int Count => _held.Count;

    /// <summary>What is held now, oldest first.</summary>
    public IEnumerable<T> Items => _held.Select(h => h.Item);

    /// <summary>Holds <paramref name="item"/>, sent during <paramref name="epoch"/>; false (nothing held) when it would pass the limit.</summary>
    public bool Add(long epoch, T item)
    {
        if (epoch < _newestEpoch) throw new ArgumentException($"epoch {epoch} is older than output already held", nameof(epoch));
        long size = sizeOf(item);
        if (HeldBytes + size > LimitBytes) return false;
        _held.Enqueue((epoch, item));
        _newestEpoch = epoch;
        HeldBytes += size;
        return true;
    }

    /// <summary>Takes out, oldest first, everything sent during epochs up to <paramref name="epoch"/>.</summary>
    public IReadOnlyList<T> Release(long epoch)
    {
        var released = new List<T>();
        while (_held.TryPeek(out var next) && next.Epoch <= epoch)
        {
            _held.Dequeue();
            HeldBytes -= sizeOf(next.Item);
            released.Add(next.Item);
        }
        return released;
    }

    /// <summary>
    /// Takes out everything held, oldest first: the replication ended with the guest here. A later
    /// replication numbers its epochs from the start again, so the order check starts afresh too.
    /// </summary>
    public IReadOnlyList<T> ReleaseAll()
    {
        var released = Release(long.MaxValue);
        _newestEpoch = long.MinValue;
        return released;
    }

    /// <summary>Forgets everything held: the guest was stopped before its checkpoint was acknowledged, so none of it may ever be seen.</summary>
    public void Discard()
    {
        _held.Clear();
        HeldBytes = 0;
        _newestEpoch = long.MinValue;
    }
}

/// <summary>
/// One of a machine's outputs to the world (its console, a NIC's frames) under Remus's output
/// commit while the machine is replicated: the replication calls these from its own thread, the
/// device writes from its own; implementations lock.
/// </summary>
public interface IHeldOutput
{
    /// <summary>
    /// With the guest paused at checkpoint <paramref name="epoch"/> - 1: what was sent so far belongs
    /// to that checkpoint, what comes next to epoch <paramref name="epoch"/>. Holding starts at the first call.
    /// </summary>
    void Begin(long epoch);

    /// <summary>The checkpoints up to <paramref name="epoch"/> are committed: their output goes out.</summary>
    void Release(long epoch);

    /// <summary>Replication ended with the guest here: everything held goes out and output flows freely.</summary>
    void ReleaseAll();

    /// <summary>The guest stopped because the standby may have taken over: nothing held may ever go out.</summary>
    void Discard();
}

/// <summary>All of a machine's held outputs as one.</summary>
public sealed class HeldOutputs(IReadOnlyList<IHeldOutput> outputs) : IHeldOutput
{
    public void Begin(long epoch)
    {
        foreach (var o in outputs) o.Begin(epoch);
    }

    public void Release(long epoch)
    {
        foreach (var o in outputs) o.Release(epoch);
    }

    public void ReleaseAll()
    {
        foreach (var o in outputs) o.ReleaseAll();
    }

    public void Discard()
    {
        foreach (var o in outputs) o.Discard();
    }
}
