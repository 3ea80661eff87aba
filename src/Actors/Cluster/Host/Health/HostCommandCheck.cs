using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Tern.Devices.Config;

namespace Tern.Actors.Cluster.Host.Health;

/// <summary>
/// Runs the operator's health command (<c>tern.host.health.command</c>): a program and its
/// arguments split on whitespace, with no shell between. Exit 0 is healthy; any other exit is
/// bad, its first line of output the reason; a command still running at the timeout is killed
/// with everything it started and counts as bad. A command that cannot start at all is said once
/// and gives null: the caller stops running it, and the node goes on without it.
/// </summary>
public static class HostCommandCheck
{
    // After a kill, how long to wait for the process to be gone before giving its verdict anyway.
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(2);

    public static async Task<HealthReading?> RunAsync(string command, TimeSpan timeout, Action<string> warn)
    {
        string[] words = command.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            warn("host health: the health command is empty; it is not run");
            return null;
        }
        var start = new ProcessStartInfo(words[0], words[1..])
        {
            UseShellExecute = false,
            RedirectStandardInput = true, // it gets an empty stdin, never the node's
            RedirectStandardOutput = true,
            RedirectStandardError = true, // read and dropped: only stdout carries the reason
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e)
        {
            string why = e is Win32Exception w ? Marshal.GetPInvokeErrorMessage(w.NativeErrorCode) : e.Message;
            warn($"host health: the health command '{words[0]}' cannot start ({why}); tern.host.health.command is not run again");
            return null;
        }
        using (process)
        {
            try
            {
                return await VerdictAsync(process, timeout);
            }
            catch (Exception e) // the node must outlive whatever its health command does
            {
                warn($"host health: the health command failed to run ({e.Message}); tern.host.health.command is not run again");
                return null;
            }
        }
    }

    private static async Task<HealthReading> VerdictAsync(Process process, TimeSpan timeout)
    {
        string? firstLine = null;
        process.OutputDataReceived += (_, e) =>
        {
            if (!string.IsNullOrWhiteSpace(e.Data)) Interlocked.CompareExchange(ref firstLine, e.Data.Trim(), null);
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();

        // WaitForExitAsync also waits for the output to end, which a child left behind can hold
        // open: so at the timeout the command counts as hung only if it is itself still running.
        bool finished = await WaitAsync(process, timeout);
        if (!finished && !process.HasExited)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (Exception e) when (e is InvalidOperationException or Win32Exception or AggregateException)
            {
                // it ended between the look and the kill
            }
            await WaitAsync(process, KillGrace);
            return HealthReading.BadBecause($"health command timed out after {ReasonText.Duration(timeout)}");
        }
        if (process.ExitCode == 0) return HealthReading.Good;
        string? line = Volatile.Read(ref firstLine);
        return HealthReading.BadBecause(line is null ? $"health command exited {process.ExitCode}" : EchoedText.Clip(line));
    }

    private static async Task<bool> WaitAsync(Process process, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
