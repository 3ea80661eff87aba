using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Tern.Host.Node;

/// <summary>
/// The node's Akka logger: one line per event on stderr, never a stack trace (the exception's
/// own message only), and at most <see cref="Burst"/> lines per source every
/// <see cref="Window"/>: a peer sending junk to the cluster port, one malformed connection after
/// another, must not flood the log (before: about ten lines with a stack trace each). What was
/// held back is counted on the source's next line.
/// </summary>
public sealed class NodeLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    public const int Burst = 5;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, (DateTime Start, int Printed, int Held)> _sources = new(StringComparer.Ordinal);

    public NodeLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Log);
    }

    private void Log(LogEvent e)
    {
        var now = DateTime.UtcNow;
        string source = e.LogSource ?? "";
        var (start, printed, held) = _sources.GetValueOrDefault(source, (now, 0, 0));
        if (now - start > Window) (start, printed) = (now, 0);
        if (printed >= Burst)
        {
            _sources[source] = (start, printed, held + 1);
            return;
        }
        _sources[source] = (start, printed + 1, 0);
        string message = e.Message?.ToString() ?? "";
        string cause = e is Error { Cause: { } c } && !message.Contains(c.GetBaseException().Message, StringComparison.Ordinal) ? $": {c.GetBaseException().Message}" : "";
        string skipped = held > 0 ? $" ({held} similar lines held back)" : "";
        Console.Error.WriteLine(Flatten($"tern node: {e.LogLevel().ToString().Replace("Level", "").ToLowerInvariant()} {source}: {message}{cause}{skipped}"));
    }

    /// <summary>One line whatever the message held.</summary>
    private static string Flatten(string text) => text.ReplaceLineEndings(" ");
}
