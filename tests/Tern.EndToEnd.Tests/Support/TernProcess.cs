using System.Diagnostics;
using System.Text;

namespace Tern.EndToEnd.Tests.Support;

/// <summary>
/// A running `tern` process with its stdout (the guest console) and stderr captured line by line,
/// so a test can wait for what the guest printed.
/// </summary>
public sealed class TernProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<DateTime> _stdoutTimes = [];
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();

    private TernProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_gate)
            {
                _stdout.Add(e.Data);
                _stdoutTimes.Add(DateTime.UtcNow);
            }
        };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_gate) _stderr.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <param name="environment">Variables set for the process beside those it inherits.</param>
    public static TernProcess Start(IEnumerable<string> args, string? executable = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(executable ?? Repo.TernExecutable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        return new TernProcess(TiedChildProcess.Start(info));
    }

    /// <summary>Runs tern to completion (or kills it after the timeout) and returns exit code and output.</summary>
    public static TernResult Run(IEnumerable<string> args, TimeSpan? timeout = null, string? executable = null)
    {
        using var p = Start(args, executable);
        int code = p.WaitForExit(timeout ?? TimeSpan.FromSeconds(60));
        return new TernResult(code, p.Stdout, p.Stderr);
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> Stdout
    {
        get { lock (_gate) return _stdout.ToArray(); }
    }

    /// <summary>Each console line with the time it arrived on the host (to measure pauses the guest saw).</summary>
    public IReadOnlyList<(DateTime At, string Line)> TimedStdout
    {
        get { lock (_gate) return _stdoutTimes.Zip(_stdout).ToArray(); }
    }

    public string Stderr
    {
        get { lock (_gate) return _stderr.ToString(); }
    }

    /// <summary>Waits until a console line satisfies the predicate; throws with the output so far on timeout or exit.</summary>
    public string WaitForLine(Func<string, bool> predicate, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            lock (_gate)
                foreach (var line in _stdout)
                    if (predicate(line)) return line;
            if (_process.HasExited)
            {
                _process.WaitForExit();
                lock (_gate)
                    foreach (var line in _stdout)
                        if (predicate(line)) return line;
                throw new TimeoutException($"tern exited ({_process.ExitCode}) before the expected line.\n{Describe()}");
            }
            Thread.Sleep(20);
        }
        throw new TimeoutException($"expected line did not appear within {timeout}.\n{Describe()}");
    }

    public string WaitForLine(string prefix, TimeSpan timeout) => WaitForLine(l => l.StartsWith(prefix, StringComparison.Ordinal), timeout);

    /// <summary>
    /// SIGKILL of this process alone, as a crash takes it: processes it started (a node's VM
    /// processes) run on. Waits for its end, but not for its output pipes, which they hold open.
    /// </summary>
    public void KillAlone()
    {
        using var alone = System.Diagnostics.Process.GetProcessById(_process.Id);
        alone.Kill(entireProcessTree: false);
        if (!alone.WaitForExit(TimeSpan.FromSeconds(10))) throw new TimeoutException($"process {_process.Id} still runs 10 s after SIGKILL");
    }

    /// <summary>Waits for exit; kills the process and returns -1 on timeout.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            return -1;
        }
        _process.WaitForExit(); // drain the redirected streams
        return _process.ExitCode;
    }

    public string Describe()
    {
        var lines = Stdout;
        var tail = string.Join("\n", lines.Skip(Math.Max(0, lines.Count - 40)));
        return $"--- stdout (last 40 lines) ---\n{tail}\n--- stderr ---\n{Stderr}";
    }

    private bool _disposed;

    /// <summary>Kills the process if it still runs (idempotent: a test may kill a VM early).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}

public sealed record TernResult(int ExitCode, IReadOnlyList<string> Stdout, string Stderr)
{
    public string Output => string.Join("\n", Stdout) + "\n--- stderr ---\n" + Stderr;
}
