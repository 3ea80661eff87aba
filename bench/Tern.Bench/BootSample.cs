namespace Tern.Bench;

/// <summary>One boot of one contender: time to READY and memory once HALT was printed, or why it failed.</summary>
public sealed record BootSample(string Contender, string Scenario, int Round, double ReadyMs, MemoryFigures? Memory, string? Failure)
{
    public bool Succeeded => Failure is null;
}
