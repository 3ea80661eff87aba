using System.Collections.Concurrent;
using System.Diagnostics;

namespace Tern.EndToEnd.Tests.Support;

/// <summary>
/// Starts processes that the kernel kills when this test host dies (PR_SET_PDEATHSIG, set by
/// util-linux's <c>setpriv</c>, which then execs the program under the same PID). A test host that
/// crashes or is killed therefore leaves no VM, node or database running beside the next run.
/// The kernel sends the signal when the <em>thread</em> that forked the child exits, not the
/// process, so every child is forked from one thread that lives as long as the test host.
/// </summary>
public static class TiedChildProcess
{
    private static readonly BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process> Started)> Requests = [];

    static TiedChildProcess() => new Thread(ForkForever) { IsBackground = true, Name = "tied-child-forker" }.Start();

    /// <summary>
    /// Process.Start of the program in <paramref name="info"/> (arguments in its ArgumentList), tied
    /// to this host, and run as <paramref name="user"/> if given. The same setpriv switches user:
    /// a change of credentials after the death signal is set clears it.
    /// </summary>
    public static Process Start(ProcessStartInfo info, string? user = null)
    {
        if (info.Arguments.Length > 0) throw new ArgumentException("pass arguments through ArgumentList", nameof(info));
        string[] asUser = user is null ? [] : ["--reuid", user, "--regid", user, "--init-groups"];
        string[] setpriv = ["--pdeathsig", "KILL", .. asUser, "--", info.FileName];
        for (int i = 0; i < setpriv.Length; i++) info.ArgumentList.Insert(i, setpriv[i]);
        info.FileName = "setpriv";
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add((info, started));
        return started.Task.GetAwaiter().GetResult();
    }

    private static void ForkForever()
    {
        foreach (var (info, started) in Requests.GetConsumingEnumerable())
        {
            try
            {
                started.SetResult(Process.Start(info) ?? throw new InvalidOperationException($"{info.ArgumentList[info.ArgumentList.IndexOf("--") + 1]} did not start"));
            }
            catch (Exception e)
            {
                started.SetException(e);
            }
        }
    }
}
