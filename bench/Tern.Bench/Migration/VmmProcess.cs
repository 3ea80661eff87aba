using System.Diagnostics;
using System.Text;

namespace Tern.Bench.Migration;

/// <summary>One running VMM: its timestamped console and its stderr; killed (with its children) on dispose.</summary>
public sealed class VmmProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private VmmProcess(Process process, long epoch)
    {
        _process = process;
        Console = new ConsoleLog(process.StandardOutput, epoch);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
    }

    public ConsoleLog Console { get; }

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString().Trim(); }
    }

    public static VmmProcess Start(string executable, IEnumerable<string> arguments, long epoch)
    {
        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true, // keeps QEMU's -serial stdio off the terminal
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in arguments) start.ArgumentList.Add(arg);
        return new VmmProcess(Process.Start(start) ?? throw new InvalidOperationException($"{executable} did not start"), epoch);
    }

    /// <summary>The last console lines and stderr, for a failure message.</summary>
    public string Tail(int lines = 6)
    {
        var tail = Console.Lines.TakeLast(lines).Select(l => l.Text);
        string errors = Stderr;
        return $"[{string.Join(" | ", tail)}]" + (errors.Length > 0 ? $" stderr: {errors}" : "");
    }

    /// <summary>Kills the VMM (and its children) and waits for it; the console keeps what it read.</summary>
    public void Stop()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        _process.WaitForExit();
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
    }
}
