using System.Diagnostics;

namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// A private network the test builds for itself: a Linux bridge in the root namespace holding
/// 10.213.X.1/24 and one network namespace per host, each joined to the bridge by a veth pair and
/// addressed 10.213.X.(10+i). X and the names carry a per-network tag (the test process's id and a
/// count of the networks it made), so parallel or aborted runs never collide; nothing outside these namespaces and
/// this bridge is touched. Dispose deletes the namespaces (which takes their veths along) and the
/// bridge; what a killed test process left behind is removed by the next run. Needs root.
/// </summary>
public sealed class VirtualNetwork : IDisposable
{
    private const int PidDigits = 7; // hex; Linux pids stay below 2^22
    private static readonly Lazy<bool> Swept = new(SweepLeftovers);
    /// <summary>Networks made by this process so far: the tag's last part, so that no two share names (random parts did collide).</summary>
    private static int _made;
    // A namespace's veths outlive `ip netns del` for a moment (the kernel tears them down in the
    // background), so a tag must not come back soon: a counter, not a random part.
    private readonly string _tag = $"{Environment.ProcessId.ToString("x").PadLeft(PidDigits, '0')}{Interlocked.Increment(ref _made) % 0x1000:x3}";
    private readonly List<string> _namespaces = [];
    private bool _bridgeCreated;

    public VirtualNetwork(int hosts)
    {
        _ = Swept.Value;
        Subnet = $"10.213.{FreeSubnetOctet()}";
        Bridge = $"tb{_tag}";
        try
        {
            Ip("link", "add", Bridge, "type", "bridge");
            _bridgeCreated = true;
            Ip("addr", "add", $"{BridgeAddress}/24", "dev", Bridge);
            Ip("link", "set", Bridge, "up");
            for (int i = 1; i <= hosts; i++) AddHost(i);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>What makes this network's names its own: the test process's id (hex) and a random part.</summary>
    public string Tag => _tag;

    public string Subnet { get; }
    public string Bridge { get; }

    /// <summary>The root namespace's address on the bridge (where shared services such as PostgreSQL listen).</summary>
    public string BridgeAddress => $"{Subnet}.1";

    public int Hosts => _namespaces.Count;

    /// <summary>Host i's (from 1) namespace name.</summary>
    public string Namespace(int host) => _namespaces[host - 1];

    public string Address(int host) => $"{Subnet}.{10 + host}";

    /// <summary>The root-side end of host i's veth: taking it down cuts the host off.</summary>
    public string Link(int host) => $"tv{_tag}h{host}";

    public void CutOff(int host) => Ip("link", "set", Link(host), "down");

    public void Reconnect(int host) => Ip("link", "set", Link(host), "up");

    /// <summary>Host i can no longer reach <paramref name="address"/> (a blackhole route); its other traffic goes on.</summary>
    public void Block(int host, string address) => Ip("-n", Namespace(host), "route", "add", "blackhole", $"{address}/32");

    public void Unblock(int host, string address) => Ip("-n", Namespace(host), "route", "del", "blackhole", $"{address}/32");

    private void AddHost(int i)
    {
        string ns = $"tern-{_tag}-h{i}";
        Ip("netns", "add", ns);
        _namespaces.Add(ns);
        Ip("link", "add", Link(i), "type", "veth", "peer", "name", "eth0", "netns", ns);
        Ip("link", "set", Link(i), "master", Bridge, "up");
        Ip("-n", ns, "addr", "add", $"{Address(i)}/24", "dev", "eth0");
        Ip("-n", ns, "link", "set", "eth0", "up");
        Ip("-n", ns, "link", "set", "lo", "up");
    }

    /// <summary>Deletes namespaces and bridges of networks whose test process no longer runs.</summary>
    private static bool SweepLeftovers()
    {
        var names = Run("ip", "netns", "list").Split('\n').Select(l => l.Split(' ')[0]).Where(n => n.StartsWith("tern-", StringComparison.Ordinal));
        foreach (var ns in names)
            if (OwnerGone(ns["tern-".Length..])) TryIp("netns", "del", ns);
        var bridges = Run("ip", "-o", "link", "show", "type", "bridge").Split('\n')
            .Select(l => l.Split(':', StringSplitOptions.TrimEntries)).Where(f => f.Length > 1 && f[1].StartsWith("tb", StringComparison.Ordinal)).Select(f => f[1]);
        foreach (var bridge in bridges)
            if (OwnerGone(bridge["tb".Length..])) TryIp("link", "del", bridge);
        return true;
    }

    /// <summary>Whether the tag at the start of <paramref name="name"/> names a test process that has ended.</summary>
    private static bool OwnerGone(string name) =>
        name.Length >= PidDigits && int.TryParse(name[..PidDigits], System.Globalization.NumberStyles.HexNumber, null, out int pid)
        && !Directory.Exists($"/proc/{pid}");

    /// <summary>An X with no 10.213.X.0/24 address on this machine yet, picked at random.</summary>
    private static int FreeSubnetOctet()
    {
        string used = Run("ip", "-o", "-4", "addr", "show");
        var random = new Random();
        for (int attempt = 0; attempt < 100; attempt++)
        {
            int x = random.Next(1, 255);
            if (!used.Contains($" 10.213.{x}.", StringComparison.Ordinal)) return x;
        }
        throw new InvalidOperationException("no free 10.213.X.0/24 subnet");
    }

    private static void Ip(params string[] args) => Run("ip", args);

    internal static string Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({p.ExitCode}): {error.Trim()}");
        return output;
    }

    public void Dispose()
    {
        foreach (var ns in _namespaces) TryIp("netns", "del", ns);
        _namespaces.Clear();
        if (_bridgeCreated) TryIp("link", "del", Bridge);
        _bridgeCreated = false;
    }

    private static void TryIp(params string[] args)
    {
        try { Ip(args); } catch (InvalidOperationException) { } // already gone: an earlier cleanup or an aborted setup
    }
}
