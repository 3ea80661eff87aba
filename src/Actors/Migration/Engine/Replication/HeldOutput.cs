namespace Tern.Actors.Migration.Engine.Replication;

/// <summary>
/// What a protected guest sent to the outside world (network frames, console bytes), held by epoch
/// until the checkpoint that produced it is acknowledged (<see cref="PrimaryEpochs"/>): items
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

    /// <summary>Forgets everything held: the guest was stopped before its checkpoint was acknowledged, so none of it may ever be seen.</summary>
    public void Discard()
    {
        _held.Clear();
        HeldBytes = 0;
    }
}
