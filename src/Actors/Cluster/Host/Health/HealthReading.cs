namespace Tern.Actors.Cluster.Host.Health;

/// <summary>One look at one health signal: bad or not, and when bad why, in one short phrase ("12 corrected memory errors in 1h (EDAC)").</summary>
public sealed record HealthReading(bool Bad, string? Reason)
{
    public static HealthReading Good { get; } = new(false, null);

    public static HealthReading BadBecause(string reason) => new(true, reason);
}
