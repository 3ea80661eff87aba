using Tern.Actors.Cluster.Protocol;

namespace Tern.Actors.Cluster.Manager;

/// <summary>The manager's recent events, numbered, for <c>tern ctl events</c>; the oldest fall off past the capacity.</summary>
public sealed class EventLog(int capacity)
{
    private readonly Queue<ClusterEventRecord> _records = new();
    private long _last;

    public void Add(DateTime at, string text)
    {
        _records.Enqueue(new ClusterEventRecord(++_last, at, text));
        while (_records.Count > capacity) _records.Dequeue();
    }

    public IReadOnlyList<ClusterEventRecord> After(long sequence) => _records.Where(r => r.Sequence > sequence).ToArray();
}
