using System.Net;
using System.Net.Sockets;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Qmp.Client;

namespace Tern.EndToEnd.Tests.Qmp;

/// <summary>A `tern` running the test kernel's ticks with a QMP socket, in its own scratch directory.</summary>
public sealed class QmpVm : IDisposable
{
    public static readonly TimeSpan Short = TimeSpan.FromSeconds(15);

    private readonly TempDir _dir;

    private QmpVm(TempDir dir, TernProcess process, string socketPath)
    {
        _dir = dir;
        Process = process;
        SocketPath = socketPath;
    }

    public TernProcess Process { get; }

    public string SocketPath { get; }

    public TempDir Dir => _dir;

    /// <summary>Starts tern with <c>-qmp unix:DIR/qmp.sock,server,nowait</c> (or <paramref name="qmp"/>) and the given kernel command line.</summary>
    public static QmpVm Start(string append = "mode=ticks tick_ms=50", string? qmp = null, IEnumerable<string>? extra = null, TempDir? dir = null,
        string memory = "256M", string machine = "q35")
    {
        dir ??= new TempDir();
        string socket = dir.File("qmp.sock");
        var args = new List<string>
        {
            "-machine", machine, "-kernel", Repo.TestKernel, "-append", append, "-m", memory, "-smp", "2",
            "-serial", "stdio", "-qmp", qmp ?? $"unix:{socket},server,nowait",
        };
        if (extra is not null) args.AddRange(extra);
        return new QmpVm(dir, TernProcess.Start(args), socket);
    }

    public QmpClient Connect() => QmpClient.ConnectUnix(SocketPath);

    public IReadOnlyList<int> Ticks => TestKernel.Ticks(Process.Stdout);

    public int LastTick => Ticks.LastOrDefault();

    /// <summary>Waits until the guest printed tick <paramref name="n"/> or later.</summary>
    public void WaitForTick(int n) =>
        Process.WaitForLine(l => l.StartsWith("TICK ", StringComparison.Ordinal) && int.TryParse(l[5..], out int t) && t >= n, Short);

    /// <summary>The guest is still running: it prints ticks after the ones seen so far.</summary>
    public void AssertTicksContinue() => WaitForTick(LastTick + 3);

    /// <summary>A TCP port nobody listens on right now, on <paramref name="address"/>.</summary>
    public static int FreePort(IPAddress address)
    {
        var probe = new TcpListener(address, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public void Dispose()
    {
        Process.Dispose();
        _dir.Dispose();
    }
}
