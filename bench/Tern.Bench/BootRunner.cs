using System.Diagnostics;
using System.Text;

namespace Tern.Bench;

/// <summary>
/// Starts one VMM, times process start to the READY line on its stdout pipe, waits for HALT,
/// lets it settle, reads its smaps, and kills it.
/// </summary>
public sealed class BootRunner(TimeSpan timeout, TimeSpan settle)
{
    private const int TailLines = 12;

    public BootSample Run(Contender contender, Scenario scenario, int round)
    {
        var start = new ProcessStartInfo(contender.Executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true, // keeps QEMU's -serial stdio off the terminal
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in contender.Arguments(scenario.Append)) start.ArgumentList.Add(arg);
        foreach (var (key, value) in contender.Environment) start.Environment[key] = value;

        var stderr = new StringBuilder();
        var tail = new Queue<string>();
        double readyMs = double.NaN;
        bool halted = false;

        long t0 = Stopwatch.GetTimestamp();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{contender.Executable} did not start");
        try
        {
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
            process.BeginErrorReadLine();
            using var watchdog = new Timer(_ => Kill(process), null, timeout, Timeout.InfiniteTimeSpan);

            // Read on this thread so the READY timestamp is taken as soon as the line arrives.
            while (process.StandardOutput.ReadLine() is { } raw)
            {
                string line = raw.TrimEnd('\r', ' ');
                if (double.IsNaN(readyMs) && line.EndsWith("READY", StringComparison.Ordinal))
                    readyMs = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                else if (!double.IsNaN(readyMs) && line.EndsWith("HALT", StringComparison.Ordinal))
                {
                    halted = true;
                    break;
                }
                tail.Enqueue(line);
                if (tail.Count > TailLines) tail.Dequeue();
            }
            watchdog.Change(Timeout.Infinite, Timeout.Infinite);

            if (!halted)
                return Failed(contender, scenario, round, readyMs, double.IsNaN(readyMs) ? "no READY" : "no HALT", tail, stderr);

            Thread.Sleep(settle);
            if (process.HasExited)
                return Failed(contender, scenario, round, readyMs, $"exited with {process.ExitCode} after HALT", tail, stderr);
            var memory = MemoryFigures.Read(process.Id, contender.GuestRamSizes);
            if (memory.GuestRamMappings != contender.GuestRamSizes.Count)
                return Failed(contender, scenario, round, readyMs,
                    $"found {memory.GuestRamMappings} of {contender.GuestRamSizes.Count} guest RAM mappings", tail, stderr);
            return new BootSample(contender.Name, scenario.Name, round, readyMs, memory, null);
        }
        finally
        {
            Kill(process);
            process.WaitForExit();
        }
    }

    private static BootSample Failed(Contender contender, Scenario scenario, int round, double readyMs, string why,
        IEnumerable<string> tail, StringBuilder stderr)
    {
        string errors;
        lock (stderr) errors = stderr.ToString().Trim();
        string detail = $"{why}; last output: [{string.Join(" | ", tail)}]" + (errors.Length > 0 ? $"; stderr: {errors}" : "");
        return new BootSample(contender.Name, scenario.Name, round, readyMs, null, detail);
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
    }
}
