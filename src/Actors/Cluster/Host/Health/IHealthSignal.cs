namespace Tern.Actors.Cluster.Host.Health;

/// <summary>
/// One thing that can tell a host is failing (memory errors, I/O errors, pressure, vCPU failures).
/// Sampled on every evaluation; a signal keeps whatever history its window needs and never throws
/// for a bad or missing source (it warns and reads as good).
/// </summary>
public interface IHealthSignal
{
    /// <summary>Its name in the configuration (memory-errors, io-errors, ...).</summary>
    string Name { get; }

    HealthReading Sample(DateTime now);
}
