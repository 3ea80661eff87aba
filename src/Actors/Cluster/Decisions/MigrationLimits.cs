using Tern.Actors.Cluster.Registry;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>How many live migrations may run at once: per host (as source or destination) and in the whole cluster.</summary>
public sealed record MigrationLimits(int PerHost, int PerCluster)
{
    /// <summary>
    /// The planned moves that may start now, in plan order, given the migrations already under
    /// way; the rest wait for a later round.
    /// </summary>
    public IReadOnlyList<MigrationMove> Admit(IEnumerable<MigrationMove> planned, IEnumerable<MigrationEntry> underWay)
    {
        var perHost = new Dictionary<string, int>(StringComparer.Ordinal);
        int total = 0;
        void Count(string host) => perHost[host] = perHost.GetValueOrDefault(host) + 1;
        foreach (var m in underWay)
        {
            Count(m.From);
            Count(m.To);
            total++;
        }
        var admitted = new List<MigrationMove>();
        foreach (var move in planned)
        {
            if (total >= PerCluster) break;
            if (perHost.GetValueOrDefault(move.From) >= PerHost || perHost.GetValueOrDefault(move.To) >= PerHost) continue;
            Count(move.From);
            Count(move.To);
            total++;
            admitted.Add(move);
        }
        return admitted;
    }
}
