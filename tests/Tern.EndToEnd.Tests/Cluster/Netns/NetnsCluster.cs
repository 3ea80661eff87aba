using System.Text.Json;
using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// A cluster of real hosts for one test: a <see cref="VirtualNetwork"/> of N namespaces, a private
/// PostgreSQL listening on the bridge (the shared journal every namespace reaches), and one
/// <c>tern node</c> per namespace; h1 starts the cluster (so it is the oldest and hosts the manager
/// singleton), the others join through it. Every node runs with TLS (a certificate for its address
/// from the test's own cluster CA, made with <c>tern ca</c>) and its own API token, as a real
/// multi-host cluster must. Disk images live in the test's scratch directory, as on shared storage.
/// Dispose kills the nodes, stops PostgreSQL and removes the network, also after a failure.
/// </summary>
public sealed class NetnsCluster : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<IDisposable> _owned = [];
    private readonly List<NamespacedNode> _nodes = [];

    /// <param name="nodeConfig">HOCON every node reads through <c>--config</c>, over the shipped defaults.</param>
    /// <param name="perNode">More HOCON for the node of each name (h1, h2 ...), after <paramref name="nodeConfig"/>.</param>
    public NetnsCluster(int hosts, string? nodeConfig = null, Func<string, string>? perNode = null)
    {
        try
        {
            string[] Config(string name)
            {
                if (nodeConfig is null && perNode is null) return [];
                string file = _dir.File($"{name}.conf");
                File.WriteAllText(file, $"{nodeConfig}\n{perNode?.Invoke(name)}");
                return ["--config", file];
            }
            Network = Own(new VirtualNetwork(hosts));
            Ca = _dir.File("ca");
            Tern("ca", "init", "--dir", Ca);
            for (int i = 1; i <= hosts; i++) Tern("ca", "issue", $"h{i}", "--dir", Ca, "--out", _dir.File($"tls-h{i}"), "--ip", Network.Address(i));
            Postgres = Own(new PostgresServer(Network.BridgeAddress));
            _nodes.Add(Own(new NamespacedNode(Network, 1, _dir.File("h1"), Postgres.ConnectionString, [.. Config("h1"), "--tls", _dir.File("tls-h1")])));
            _nodes[0].WaitStarted();
            for (int i = 2; i <= hosts; i++)
                _nodes.Add(Own(new NamespacedNode(Network, i, _dir.File($"h{i}"), Postgres.ConnectionString,
                    [.. Config($"h{i}"), "--tls", _dir.File($"tls-h{i}"), "--seed", _nodes[0].Endpoint])));
            foreach (var node in _nodes.Skip(1)) node.WaitStarted();
            WaitFor(() => Hosts(_nodes[0]), h => h.Count == hosts && h.Values.All(s => s == "up"), TimeSpan.FromSeconds(60), $"{hosts} hosts up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public VirtualNetwork Network { get; } = null!;

    /// <summary>The cluster CA's directory (ca-cert.pem, ca-key.pem).</summary>
    public string Ca { get; } = null!;

    private static void Tern(params string[] args)
    {
        var result = TernProcess.Run(args);
        Assert.True(result.ExitCode == 0, $"tern {string.Join(' ', args)}: {result.Output}");
    }
    public PostgresServer Postgres { get; } = null!;
    public IReadOnlyList<NamespacedNode> Nodes => _nodes;

    /// <summary>Host i (from 1).</summary>
    public NamespacedNode this[int host] => _nodes[host - 1];

    public NamespacedNode Node(string name) => _nodes.Single(n => n.Name == name);

    /// <summary>A zeroed raw disk image in the shared directory (1 MiB: the soak guest logs to sectors 2..1002).</summary>
    public string NewDisk(string name) => _dir.Disk(name + ".img", 1 << 20);

    /// <summary>Host name -> state, as <c>ctl hosts --json</c> through <paramref name="via"/> shows them.</summary>
    public static Dictionary<string, string> Hosts(NamespacedNode via) =>
        via.CtlJson("hosts").EnumerateArray().ToDictionary(h => h.GetProperty("name").GetString()!, h => h.GetProperty("state").GetString()!);

    /// <summary>VM name -> (host, state), as <c>ctl vms --json</c> through <paramref name="via"/> shows them.</summary>
    public static Dictionary<string, (string? Host, string State)> Vms(NamespacedNode via) =>
        via.CtlJson("vms").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!,
            v => (v.GetProperty("host").ValueKind == JsonValueKind.String ? v.GetProperty("host").GetString() : null, v.GetProperty("state").GetString()!));

    /// <summary>
    /// Polls until the condition holds; a ctl call that fails meanwhile (the manager moving, a host
    /// going) counts as "not yet". Fails with the last value or error seen.
    /// </summary>
    public static T WaitFor<T>(Func<T> read, Func<T, bool> condition, TimeSpan timeout, string what, int pollMs = 200)
    {
        var deadline = DateTime.UtcNow + timeout;
        string last = "nothing";
        while (true)
        {
            try
            {
                var value = read();
                if (condition(value)) return value;
                last = Describe(value);
            }
            catch (CtlFailedException e)
            {
                last = e.Message;
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what} within {timeout}; last: {last}");
            Thread.Sleep(pollMs);
        }
    }

    private static string Describe<T>(T value) => value switch
    {
        System.Collections.IDictionary d => string.Join(", ", d.Keys.Cast<object>().Select(k => $"{k}={d[k]}")),
        _ => value?.ToString() ?? "null",
    };

    /// <summary>Every node's output, for a failure message.</summary>
    public string Describe() => string.Join("\n", _nodes.Select(n => $"=== {n.Name} ===\n{n.Process.Describe()}"));

    private T Own<T>(T resource) where T : IDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    public void Dispose()
    {
        // Nodes first (they hold disks and the database), then PostgreSQL, then the network.
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            try { _owned[i].Dispose(); } catch (InvalidOperationException) { }
        }
        _owned.Clear();
        _dir.Dispose();
    }
}
