using System.Text.Json;
using Tern.EndToEnd.Tests.Support;
using Tern.Host.Api;
using Tern.Host.Node;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// A real <c>tern node</c> inside its own network namespace (<c>ip netns exec</c>, which execs tern,
/// so the process id is tern's and SIGKILL reaches it directly). Cluster port and API bind the
/// namespace's address; every namespace has its own ports, so they are fixed. <c>tern ctl</c> runs
/// inside the namespace too, so it reaches the node's API even while the host is cut off.
/// </summary>
public sealed class NamespacedNode : IDisposable
{
    public const int ClusterPort = 7741;
    public const int ApiPort = 7740;

    private readonly string[] _args;
    private TernProcess _process;

    public NamespacedNode(VirtualNetwork network, int host, string dataDirectory, string database, params string[] extra)
    {
        Namespace = network.Namespace(host);
        Address = network.Address(host);
        Name = $"h{host}";
        DataDirectory = dataDirectory;
        // The cluster's disks are made in the directory that holds the data directories.
        _args = ["node", "--name", Name, "--bind", $"{Address}:{ClusterPort}", "--api", $"{Address}:{ApiPort}",
            "--data", dataDirectory, "--db", database, "--image-dir", Repo.GuestBuild, "--image-dir", Path.GetDirectoryName(dataDirectory)!, .. extra];
        _process = Launch();
    }

    public string Name { get; }
    public string DataDirectory { get; }

    /// <summary>The node's own operator token, which it wrote to its data directory at its first start.</summary>
    public string Token => NodeCredentials.Read(DataDirectory)?.Token
        ?? throw new InvalidOperationException($"no token in {DataDirectory}");

    /// <summary><c>tern ctl</c> pointed at this node's API with its token, for a verb to follow.</summary>
    public string[] CtlPrefix => ["ctl", "--api", Api, "--token", Token, "--ca", ApiCa];
    public string Namespace { get; }
    public string Address { get; }
    public string Endpoint => $"{Address}:{ClusterPort}";
    public string Api => $"https://{Address}:{ApiPort}";

    /// <summary>The CA certificate the node's API certificate chains to (from its --tls directory, as ctl.json names it).</summary>
    public string ApiCa => NodeCredentials.Read(DataDirectory)?.Ca
        ?? throw new InvalidOperationException($"no CA in {DataDirectory}/ctl.json");
    public TernProcess Process => _process;

    /// <summary>Waits for the node's start line (it has bound its ports and joined or started the cluster).</summary>
    public void WaitStarted() => _process.WaitForLine("tern node ", ClusterNode.StartTimeout);

    /// <summary>SIGKILL: the host dies without a word to the cluster.</summary>
    public void Kill() => _process.Dispose();

    /// <summary>
    /// SIGKILL of every process in the host's namespace at once (the node, its VM processes and any
    /// ctl running there), as a host whose power fails: its sockets close with it.
    /// </summary>
    public void KillWhole()
    {
        var pids = TernProcess.Run(["netns", "pids", Namespace], TimeSpan.FromSeconds(10), "ip").Stdout;
        using var kill = System.Diagnostics.Process.Start("kill", ["-9", .. pids.Where(p => p.Length > 0)])!;
        kill.WaitForExit();
        _process.Dispose();
    }

    /// <summary>SIGTERM to the node, as an operator or systemd stops it; returns its exit code (-1: still running after <paramref name="timeout"/>).</summary>
    public int Terminate(TimeSpan timeout)
    {
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) kill.WaitForExit();
        return _process.WaitForExit(timeout);
    }

    /// <summary>Starts the node again with the same name, address and data directory (after a kill or its own exit).</summary>
    public void Restart()
    {
        _process.Dispose();
        _process = Launch();
        WaitStarted();
    }

    /// <summary>A tern command run inside this node's namespace.</summary>
    public TernProcess Start(params string[] ternArgs) => TernProcess.Start(["netns", "exec", Namespace, Repo.TernExecutable, .. ternArgs], "ip");

    public TernResult Ctl(params string[] args) => Ctl(TimeSpan.FromSeconds(60), args);

    /// <summary><c>tern ctl</c>, killed after <paramref name="timeout"/> (for a verb that waits, such as a long drain).</summary>
    public TernResult Ctl(TimeSpan timeout, params string[] args) =>
        TernProcess.Run(["netns", "exec", Namespace, Repo.TernExecutable, .. CtlPrefix, .. args], timeout, "ip");

    /// <summary><c>tern ctl ... --json</c>, which must succeed, parsed.</summary>
    public JsonElement CtlJson(params string[] args)
    {
        var result = Ctl([.. args, "--json"]);
        if (result.ExitCode != 0) throw new CtlFailedException($"tern ctl {string.Join(' ', args)} on {Name} failed:\n{result.Output}");
        return JsonDocument.Parse(string.Join("\n", result.Stdout)).RootElement;
    }

    /// <summary>The VM's console as <c>tern ctl console</c> shows it, whole lines only (a running guest may be mid-line).</summary>
    public IReadOnlyList<string> ConsoleLines(string vm) => TestKernel.CompleteLines(CtlJson("console", vm).GetProperty("text").GetString()!);

    /// <summary>An HTTP client for the API (from the root namespace, over the bridge) with the node's token, checking its certificate against the cluster CA.</summary>
    public HttpClient Http(TimeSpan? timeout = null) => ApiHttp.Client(Api, Token, timeout, ApiCa);

    /// <summary>GET <paramref name="path"/> of the node's control API (from the root namespace, over the bridge), read as the API writes it.</summary>
    public T ApiGet<T>(string path)
    {
        using var http = Http();
        return JsonSerializer.Deserialize<T>(http.GetStringAsync(path).Result, ApiJson.Options)!;
    }

    /// <summary>Starts the node again joining through <paramref name="seed"/>: h1, which started the cluster, must not start a new one.</summary>
    public void RestartJoining(NamespacedNode seed)
    {
        _process.Dispose();
        _process = Start([.. _args, "--seed", seed.Endpoint]);
        WaitStarted();
    }

    private TernProcess Launch() => Start(_args);

    public void Dispose() => _process.Dispose();
}

/// <summary>A <c>tern ctl</c> call that did not succeed (a poll may retry it: the manager may be moving).</summary>
public sealed class CtlFailedException(string message) : Exception(message);
