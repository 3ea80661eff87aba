using System.Diagnostics;
using Tern.EndToEnd.Tests.Support;
using static Tern.EndToEnd.Tests.Migration.MigrationVm;

namespace Tern.EndToEnd.Tests.Migration;

/// <summary>Issue 4, acceptance 8: StratoVirt's document done literally, typing QMP into `ncat -U` (Debian's ncat).</summary>
public sealed class NcatWalkthroughTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Sends lines through `ncat -U SOCKET` as a user would type them and returns everything ncat printed.</summary>
    private static string Ncat(string socket, params string[] lines)
    {
        var info = new ProcessStartInfo("ncat", ["-U", socket]) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        using var ncat = Process.Start(info)!;
        foreach (var line in lines) ncat.StandardInput.WriteLine(line);
        Thread.Sleep(500);
        ncat.StandardInput.Close();
        string output = ncat.StandardOutput.ReadToEnd();
        ncat.WaitForExit(5000);
        return output;
    }

    [KvmFact]
    public void The_documented_migration_works_with_ncat_on_the_qmp_socket()
    {
        const string append = "mode=soak mib=64 tick_ms=50 check_every=5";
        string uri = UnixUri(_dir);
        using var source = Source(append, "256M", []);
        using var destination = Destination(append, "256M", [], uri);
        source.WaitForTick(3);

        string started = Ncat(source.SocketPath, "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"" + uri + "\"}}");
        Assert.Contains("{\"return\":{}}", started);
        Assert.Contains("\"QMP\"", started);

        var deadline = DateTime.UtcNow + Long;
        string status;
        do
        {
            status = Ncat(source.SocketPath, """{"execute":"query-migrate"}""");
        }
        while (!status.Contains("\"completed\"") && !status.Contains("\"failed\"") && DateTime.UtcNow < deadline);
        Assert.Contains("\"status\":\"completed\"", status);
        // The guest ticking there first: the destination's status follows its resume by a message.
        destination.WaitForTick(source.LastTick + 5);
        Assert.Contains("\"status\":\"running\"", Ncat(destination.SocketPath, """{"execute":"query-status"}"""));
        Assert.Contains("{\"return\":{}}", Ncat(source.SocketPath, """{"execute":"quit"}"""));
        Assert.Equal(0, source.Process.WaitForExit(TimeSpan.FromSeconds(20)));
    }
}
