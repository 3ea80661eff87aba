using System.Diagnostics;

namespace Tern.Bench.Migration;

/// <summary>A console line and when the host read it, in ms since the migration run's epoch.</summary>
public readonly record struct TimedLine(double Ms, string Text);

/// <summary>
/// Reads a VMM's serial console (its stdout) on a thread of its own and timestamps every line the
/// moment it arrives: the TICK lines' arrival times are the benchmark's view of the guest.
/// </summary>
public sealed class ConsoleLog
{
    private readonly List<TimedLine> _lines = [];
    private readonly long _epoch;
    private bool _ended;

    public ConsoleLog(StreamReader stdout, long epoch)
    {
        _epoch = epoch;
        new Thread(() => Pump(stdout)) { IsBackground = true, Name = "console", Priority = ThreadPriority.AboveNormal }.Start();
    }

    public double Now => Stopwatch.GetElapsedTime(_epoch).TotalMilliseconds;

    public IReadOnlyList<TimedLine> Lines
    {
        get { lock (_lines) return _lines.ToArray(); }
    }

    /// <summary>The first line (from the start) that matches, waiting up to <paramref name="timeout"/>; null if none came.</summary>
    public TimedLine? WaitFor(Func<TimedLine, bool> match, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        int seen = 0;
        lock (_lines)
        {
            while (true)
            {
                for (; seen < _lines.Count; seen++)
                    if (match(_lines[seen])) return _lines[seen];
                long left = deadline - Stopwatch.GetTimestamp();
                if (_ended || left <= 0) return null;
                Monitor.Wait(_lines, TimeSpan.FromSeconds(Math.Min(left / (double)Stopwatch.Frequency, 1)));
            }
        }
    }

    /// <summary>Waits until the VMM closed its stdout and every line was read.</summary>
    public void WaitForEnd(TimeSpan timeout) => WaitFor(_ => false, timeout);

    private void Pump(StreamReader stdout)
    {
        while (stdout.ReadLine() is { } raw)
        {
            var line = new TimedLine(Now, raw.TrimEnd('\r', ' '));
            lock (_lines)
            {
                _lines.Add(line);
                Monitor.PulseAll(_lines);
            }
        }
        lock (_lines)
        {
            _ended = true;
            Monitor.PulseAll(_lines);
        }
    }
}
