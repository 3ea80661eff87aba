namespace Tern.Bench;

/// <summary>A test-kernel command line (tests/guest/README.md) that prints READY, then HALT and stays halted.</summary>
/// <param name="Name">Short label for the tables.</param>
/// <param name="Append">The kernel command line.</param>
public sealed record Scenario(string Name, string Append)
{
    public static readonly Scenario Idle = new("idle", "mode=idle then=halt");

    public static Scenario Fill(int mib) => new($"fill {mib} MiB", $"mode=fill mib={mib} then=halt");
}
