using System.Globalization;

namespace Tern.EndToEnd.Tests.Support;

/// <summary>When processes started and ended, read from /proc (a zombie counts as ended: its guest is gone).</summary>
public static class ProcessClock
{
    private static readonly DateTime BootTime = DateTime.UnixEpoch.AddSeconds(
        long.Parse(File.ReadLines("/proc/stat").First(l => l.StartsWith("btime ", StringComparison.Ordinal))[6..], CultureInfo.InvariantCulture));

    /// <summary>Clock ticks per second of /proc/PID/stat's times (USER_HZ, 100 on Linux x86).</summary>
    private const double TicksPerSecond = 100;

    /// <summary>When <paramref name="pid"/> started (to 10 ms), or null when it no longer runs.</summary>
    public static DateTime? StartedAt(int pid) =>
        Stat(pid) is { } fields && fields[0] != "Z"
            ? BootTime.AddSeconds(long.Parse(fields[19], CultureInfo.InvariantCulture) / TicksPerSecond)
            : null;

    public static bool Runs(int pid) => Stat(pid) is { } fields && fields[0] != "Z";

    /// <summary>The fields of /proc/PID/stat after the command name: state first, starttime at index 19.</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Polls <paramref name="pids"/> every 20 ms on a thread of its own and notes when each stops running.</summary>
    public sealed class EndWatch : IDisposable
    {
        private readonly Dictionary<int, DateTime> _ended = [];
        private readonly CancellationTokenSource _stop = new();
        private readonly Thread _thread;

        public EndWatch(IEnumerable<int> pids)
        {
            var watched = pids.ToArray();
            _thread = new Thread(() =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    foreach (int pid in watched)
                        lock (_ended)
                            if (!_ended.ContainsKey(pid) && !Runs(pid)) _ended[pid] = DateTime.UtcNow;
                    Thread.Sleep(20);
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        /// <summary>When <paramref name="pid"/> was first seen not running (within 20 ms of its end), or null while it runs.</summary>
        public DateTime? EndedAt(int pid)
        {
            lock (_ended) return _ended.TryGetValue(pid, out var at) ? at : null;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _thread.Join();
        }
    }
}
