namespace Tern.Actors.Cluster;

/// <summary>
/// A protected VM's writable disk <paramref name="From"/> and the standby's own copy of it,
/// <paramref name="To"/>, which the standby's host creates (empty, of the same size) and the
/// primary fills during the initial sync.
/// </summary>
public sealed record DiskCopyOrder(string From, string To);
