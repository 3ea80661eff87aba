namespace Tern.Actors.Cluster.Decisions;

/// <summary>One planned live migration: move <paramref name="Vm"/> from <paramref name="From"/> to <paramref name="To"/>.</summary>
public sealed record MigrationMove(string Vm, string From, string To, ulong MemoryBytes);
