using System.Diagnostics;
using Tern.Actors.Cluster.Host.Health;

namespace Tern.Actors.Tests.Cluster.Health;

public sealed class HostCommandCheckTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly FakeHostFiles _files = new();

    /// <summary>A /bin/sh script in the temporary directory, executable.</summary>
    private string Script(string body)
    {
        string path = _files.Write($"check-{Guid.NewGuid():N}.sh", $"#!/bin/sh\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private Task<HealthReading?> Run(string command, TimeSpan? timeout = null) =>
        HostCommandCheck.RunAsync(command, timeout ?? Timeout, _files.Warnings.Add);

    [Fact]
    public async Task Exit_0_is_healthy_whatever_it_prints()
    {
        Assert.Equal(HealthReading.Good, await Run(Script("echo all fine; exit 0")));
        Assert.Empty(_files.Warnings);
    }

    [Fact]
    public async Task Any_other_exit_is_bad_with_the_first_line_of_output_as_the_reason()
    {
        string script = Script("echo >&2 'stderr is not the reason'; echo; echo disk smart failing; echo second line; exit 1");
        Assert.Equal(HealthReading.BadBecause("disk smart failing"), await Run(script));
    }

    [Fact]
    public async Task A_silent_failure_gives_its_exit_code()
    {
        Assert.Equal(HealthReading.BadBecause("health command exited 3"), await Run(Script("exit 3")));
    }

    [Fact]
    public async Task The_command_is_split_on_whitespace_with_no_shell_between()
    {
        string script = Script("echo \"[$1] [$2] [$3]\"; exit 1");
        Assert.Equal("[a] [$HOME] [b;c]", (await Run($"  {script}   a  $HOME\tb;c "))?.Reason);
    }

    [Fact]
    public async Task A_command_that_hangs_is_killed_with_its_children_at_the_timeout_and_counts_as_bad()
    {
        string childPid = Path.Combine(_files.Root, "child.pid");
        string script = Script($"sleep 600 & echo $! > {childPid}; wait");
        var clock = Stopwatch.StartNew();
        var reading = await Run(script, TimeSpan.FromSeconds(1));
        Assert.Equal(HealthReading.BadBecause("health command timed out after 1s"), reading);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
        int child = int.Parse(File.ReadAllText(childPid).Trim());
        Assert.True(await GoneWithin(child, TimeSpan.FromSeconds(5)), $"the command's child {child} still runs");
    }

    [Fact]
    public async Task A_program_that_does_not_exist_disables_the_check_with_one_clear_warning()
    {
        string missing = Path.Combine(_files.Root, "no-such-check");
        Assert.Null(await Run($"{missing} --now"));
        var warning = Assert.Single(_files.Warnings);
        Assert.Contains($"'{missing}' cannot start (No such file or directory)", warning);
    }

    [Fact]
    public async Task A_file_that_is_not_executable_disables_the_check_too()
    {
        string path = _files.Write("not-executable.sh", "#!/bin/sh\nexit 0\n");
        Assert.Null(await Run(path));
        Assert.Contains("cannot start (Permission denied)", Assert.Single(_files.Warnings));
    }

    /// <summary>True once the process is gone or a zombie (killed, not yet reaped by its new parent).</summary>
    private static async Task<bool> GoneWithin(int pid, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            string stat;
            try
            {
                stat = File.ReadAllText($"/proc/{pid}/stat");
            }
            catch (IOException)
            {
                return true;
            }
            if (stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z')) return true;
            await Task.Delay(50);
        }
        return false;
    }

    public void Dispose() => _files.Dispose();
}
