using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Node;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// A real <c>tern node</c> process on free loopback ports, and <c>tern ctl</c> pointed at its API.
/// </summary>
public sealed class ClusterNode : IDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private TernProcess _process;
    private readonly string[] _args;
    private readonly bool _tls;
    private readonly IReadOnlyDictionary<string, string>? _environment;

    public ClusterNode(string name, string dataDirectory, params string[] extra) : this(FreePort(), name, dataDirectory, extra) { }

    public ClusterNode(int bindPort, string name, string dataDirectory, params string[] extra) : this(bindPort, name, dataDirectory, null, extra) { }

    /// <param name="environment">Variables the node has beside the test's own (its VM processes inherit them).</param>
    public ClusterNode(int bindPort, string name, string dataDirectory, IReadOnlyDictionary<string, string>? environment, params string[] extra)
    {
        _environment = environment;
        BindPort = bindPort;
        ApiPort = FreePort();
        DataDirectory = dataDirectory;
        _tls = extra.Contains("--tls");
        _args = ["node", "--name", name, "--bind", $"127.0.0.1:{BindPort}", "--api", $"127.0.0.1:{ApiPort}", "--data", dataDirectory,
            "--image-dir", Repo.GuestBuild, .. extra];
        _process = Start();
    }

    public string DataDirectory { get; }

    /// <summary>The node's own operator token, which it wrote to its data directory at its first start.</summary>
    public string Token => NodeCredentials.Read(DataDirectory)?.Token
        ?? throw new InvalidOperationException($"no token in {DataDirectory}");

    /// <summary><c>tern ctl</c> pointed at this node's API with its token, for a verb to follow.</summary>
    public string[] CtlPrefix => ApiCa is { } ca ? ["ctl", "--api", Api, "--token", Token, "--ca", ca] : ["ctl", "--api", Api, "--token", Token];

    /// <summary>An HTTP client for the API that sends this node's token.</summary>
    public HttpClient Http(TimeSpan? timeout = null) => ApiHttp.Client(Api, Token, timeout, ApiCa);

    public int BindPort { get; }
    public int ApiPort { get; }
    public string Api => $"{(_tls ? "https" : "http")}://127.0.0.1:{ApiPort}";

    /// <summary>With --tls, the CA certificate the API's certificate chains to (ctl.json names it).</summary>
    public string? ApiCa => _tls ? NodeCredentials.Read(DataDirectory)?.Ca : null;
    public TernProcess Process => _process;

    private TernProcess Start()
    {
        var p = TernProcess.Start(_args, environment: _environment);
        p.WaitForLine("tern node ", StartTimeout);
        return p;
    }

    /// <summary>SIGTERM, as an operator or systemd stops a node; returns its exit code.</summary>
    public int Terminate()
    {
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", _process.Id.ToString()])) kill.WaitForExit();
        return _process.WaitForExit(TimeSpan.FromSeconds(60));
    }

    /// <summary>Starts the node again with the same name, ports and data directory.</summary>
    public void Restart()
    {
        _process.Dispose();
        _process = Start();
    }

    public TernResult Ctl(params string[] args) => TernProcess.Run([.. CtlPrefix, .. args], TimeSpan.FromSeconds(60));

    /// <summary><c>tern ctl ... --json</c>, which must succeed, parsed.</summary>
    public JsonElement CtlJson(params string[] args)
    {
        var result = Ctl([.. args, "--json"]);
        Assert.True(result.ExitCode == 0, $"tern ctl {string.Join(' ', args)} failed:\n{result.Output}\n--- node ---\n{_process.Describe()}");
        return JsonDocument.Parse(string.Join("\n", result.Stdout)).RootElement;
    }

    /// <summary>The VM's console as <c>tern ctl console</c> shows it, whole lines only (a running guest may be mid-line).</summary>
    public IReadOnlyList<string> ConsoleLines(string vm) => TestKernel.CompleteLines(CtlJson("console", vm).GetProperty("text").GetString()!);

    /// <summary>
    /// The VM's last TICK as its console shows it, once it shows one: a VM that has just moved or
    /// booted shows its output only once its process's first console chunk has reached the node.
    /// </summary>
    public int LastTick(string vm) =>
        WaitFor(() => TestKernel.Ticks(ConsoleLines(vm)), t => t.Count > 0, TimeSpan.FromSeconds(60), $"{vm}'s console showing a tick").Max();

    /// <summary>Polls until <paramref name="condition"/> holds; fails with the last value seen.</summary>
    public T WaitFor<T>(Func<T> read, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        T value = read();
        while (!condition(value))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what} within {timeout}; last: {value}\n--- node ---\n{_process.Describe()}");
            Thread.Sleep(250);
            value = read();
        }
        return value;
    }

    public string? VmState(string name) =>
        CtlJson("vms").EnumerateArray().Where(v => v.GetProperty("name").GetString() == name)
            .Select(v => v.GetProperty("state").GetString()).FirstOrDefault();

    /// <summary>The pids of the `tern vm` processes this node started for <paramref name="vm"/> that run now.</summary>
    public IReadOnlyList<int> VmProcessIds(string vm) => VmProcesses.Of(DataDirectory).Where(p => p.Vm == vm).Select(p => p.Pid).ToArray();

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => _process.Dispose();
}
