namespace Tern.Actors.Cluster.Host.Health;

/// <summary>
/// A host's health after hysteresis: unhealthy with the reason (the bad signals' reasons joined
/// with "; ") from the first bad sample, healthy again only after recover-after of good ones;
/// <paramref name="Since"/> is when the current state began.
/// </summary>
public sealed record HostHealthState(bool Healthy, string? Reason, DateTime Since);
