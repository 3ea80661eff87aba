namespace Tern.Actors.Cluster.Host.Health;

/// <summary>
/// Turns each evaluation's problems into a host's health: unhealthy at the first problem, healthy
/// again only after <paramref name="recoverAfter"/> without any, so a flapping signal does not
/// send VMs away and back. While it waits the reason stays the last one seen.
/// </summary>
internal sealed class HealthHysteresis(TimeSpan recoverAfter)
{
    private HostHealthState? _state;
    private DateTime? _goodSince;

    public HostHealthState? Current => _state;

    public HostHealthState Next(DateTime now, IReadOnlyList<string> problems)
    {
        if (problems.Count > 0)
        {
            _goodSince = null;
            string reason = string.Join("; ", problems);
            _state = _state is { Healthy: false } state ? state with { Reason = reason } : new HostHealthState(false, reason, now);
        }
        else if (_state is null)
        {
            _state = new HostHealthState(true, null, now);
        }
        else if (!_state.Healthy)
        {
            _goodSince ??= now;
            if (now - _goodSince.Value >= recoverAfter)
            {
                _state = new HostHealthState(true, null, now);
                _goodSince = null;
            }
        }
        return _state;
    }
}
