using Tern.Actors.Migration.Engine.Wire;
using Tern.Devices.Board;

namespace Tern.Actors.Migration.Engine.Destination;

/// <summary>
/// The component states a migration delivers, held until End. Each section is within the stream's
/// 16 MiB limit on its own, so without a bound on their number and total a hostile source could
/// make the destination hold memory without end: each id is taken once, at most
/// <see cref="MaxCount"/> states and <see cref="MaxTotalBytes"/> in all (a real VM needs a few MiB).
/// </summary>
internal sealed class IncomingStates
{
    public const int MaxCount = 8192;
    public const long MaxTotalBytes = 64L << 20;

    private readonly List<ComponentState> _states = [];
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private long _bytes;

    public IReadOnlyList<ComponentState> All => _states;

    /// <summary>Keeps one state; throws <see cref="MigrationFailedException"/> for a repeat or past a limit.</summary>
    public void Add(string id, uint version, byte[] data)
    {
        if (!_ids.Add(id)) throw new MigrationFailedException($"state '{id}' arrived twice");
        if (_states.Count == MaxCount) throw new MigrationFailedException($"more than {MaxCount} component states");
        _bytes += data.Length;
        if (_bytes > MaxTotalBytes) throw new MigrationFailedException($"component states over {MaxTotalBytes >> 20} MiB in all");
        _states.Add(new ComponentState(id, version, data));
    }
}
