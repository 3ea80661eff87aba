namespace Tern.Actors.Cluster.Host.Health;

/// <summary>
/// Passes each warning on once per subject (a file) and problem: a counter file that holds garbage
/// is read every few seconds, and the log should say so once, not every time.
/// </summary>
internal sealed class OnceWarnings(Action<string> warn)
{
    private readonly HashSet<(string Subject, string Problem)> _said = [];

    public void Warn(string subject, string problem, string message)
    {
        if (_said.Add((subject, problem))) warn(message);
    }
}
