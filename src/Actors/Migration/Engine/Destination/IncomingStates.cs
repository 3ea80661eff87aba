using Tern.Actors.Migration.Engine.Wire;
using Tern.Devices.Board;

namespace Tern.Actors.Migration.Engine.Destination;

/// <summary>
/// The component states a migration delivers, held until End. Each section is within the stream's
/// 16 MiB limit on its own, so without a bound on their number and total a hostile source could
/// make the destination hold memory without end: each id is taken once, at most
/// <see cref="MaxCount"/> states and <see cref="MaxTotalBytes"/> in all (a real VM needs a few MiB).
/// The two components the migration itself reads, the run state and the kept console output, are
/// held apart from the machine's.
/// </summary>
internal sealed class IncomingStates
{
    public const int MaxCount = 8192;
    public const long MaxTotalBytes = 64L << 20;

    private readonly List<ComponentState> _states = [];
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private long _bytes;

    public IReadOnlyList<ComponentState> All => _states;

    /// <summary>"vm/run": whether the guest ran on the source; null until it arrives.</summary>
    public bool? WasRunning { get; private set; }

    /// <summary>"vm/console": the source's kept console output, when it sent one.</summary>
    public (long Written, byte[] Tail)? Console { get; private set; }

    /// <summary>Keeps one State section: the run state and the console apart, every other as the machine's.</summary>
    public void Take(MigrationSection.State s)
    {
        switch (s.ComponentId)
        {
            case RunStateComponent.Id:
                RequireVersion(s, RunStateComponent.Version);
                if (WasRunning is not null) throw new MigrationStreamException($"state '{s.ComponentId}' appears twice");
                WasRunning = RunStateComponent.Decode(s.Data);
                break;
            case ConsoleComponent.Id:
                RequireVersion(s, ConsoleComponent.Version);
                if (Console is not null) throw new MigrationStreamException($"state '{s.ComponentId}' appears twice");
                Console = ConsoleComponent.Decode(s.Data);
                break;
            default:
                Add(s.ComponentId, s.Version, s.Data);
                break;
        }
    }

    /// <summary>The components the receiver reads itself (not the machine's) come in one version each.</summary>
    private static void RequireVersion(MigrationSection.State s, uint version)
    {
        if (s.Version != version) throw new MigrationFailedException($"{s.ComponentId} version {s.Version} is not supported");
    }

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
