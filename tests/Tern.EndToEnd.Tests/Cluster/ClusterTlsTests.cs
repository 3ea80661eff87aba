using System.Net.Sockets;
using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// Issue 15, finding 3: any process that reached a node's cluster port could join and be given
/// VMs, and junk sent to the port flooded the log. With <c>--tls</c> (certificates from
/// <c>tern ca</c>) only a node holding a certificate of the cluster's CA joins; the API serves
/// HTTPS; a node refuses to listen beyond loopback without TLS; junk costs one line at most.
/// </summary>
public sealed class ClusterTlsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static void Tern(params string[] args)
    {
        var result = TernProcess.Run(args);
        Assert.True(result.ExitCode == 0, $"tern {string.Join(' ', args)}: {result.Output}");
    }

    [Fact]
    public void Only_a_node_with_a_certificate_of_the_cluster_s_ca_joins_and_junk_at_the_cluster_port_costs_a_line_at_most()
    {
        using var dir = new TempDir();
        Tern("ca", "init", "--dir", dir.File("ca"));
        Tern("ca", "init", "--dir", dir.File("rogue-ca"));
        foreach (var node in new[] { "n1", "n2" }) Tern("ca", "issue", node, "--dir", dir.File("ca"), "--out", dir.File($"tls-{node}"), "--ip", "127.0.0.1");
        Tern("ca", "issue", "n3", "--dir", dir.File("rogue-ca"), "--out", dir.File("tls-rogue"), "--ip", "127.0.0.1");
        File.WriteAllText(dir.File("short.conf"), "tern.node.join-timeout = 8s\n");

        using var n1 = new ClusterNode("n1", dir.File("n1"), "--tls", dir.File("tls-n1"));
        using var n2 = new ClusterNode("n2", dir.File("n2"), "--tls", dir.File("tls-n2"), "--seed", $"127.0.0.1:{n1.BindPort}");
        n1.WaitFor(() => n1.CtlJson("hosts").GetArrayLength(), n => n == 2, Timeout, "n2 joined over TLS");
        Assert.StartsWith("https://", n1.Api);

        // A certificate from another CA, or none at all: the join fails and the cluster stays two.
        foreach (string[] extra in new[] { new[] { "--tls", dir.File("tls-rogue") }, Array.Empty<string>() })
        {
            var rogue = TernProcess.Run(["node", "--name", "n3", "--bind", $"127.0.0.1:{ClusterNode.FreePort()}", "--api", $"127.0.0.1:{ClusterNode.FreePort()}",
                "--data", dir.File($"rogue-{extra.Length}"), "--config", dir.File("short.conf"), "--seed", $"127.0.0.1:{n1.BindPort}", .. extra], Timeout);
            Assert.Equal(1, rogue.ExitCode);
            Assert.Contains("could not join the cluster", rogue.Stderr);
        }
        Assert.Equal(["n1", "n2"], n1.CtlJson("hosts").EnumerateArray().Select(h => h.GetProperty("name").GetString()).Order());

        // 200 junk connections: the node goes on, and its log grows by a few lines, not thousands.
        int before = n1.Process.Describe().Split('\n').Length;
        var random = new Random(15);
        for (int i = 0; i < 200; i++)
        {
            using var junk = new TcpClient("127.0.0.1", n1.BindPort);
            var bytes = new byte[random.Next(1, 512)];
            random.NextBytes(bytes);
            junk.GetStream().Write(bytes);
        }
        Thread.Sleep(2000);
        int grown = n1.Process.Describe().Split('\n').Length - before;
        Assert.True(grown <= 3 * NodeLoggerBurst, $"the log grew by {grown} lines:\n{n1.Process.Describe()}");
        Assert.Equal(2, n1.CtlJson("hosts").GetArrayLength());
    }

    /// <summary>Lines a log source may print per window (NodeLogger.Burst).</summary>
    private const int NodeLoggerBurst = 5;

    [Fact]
    public void A_node_refuses_to_listen_beyond_loopback_without_tls_and_ctl_refuses_an_api_certificate_from_another_ca()
    {
        using var dir = new TempDir();
        var plain = TernProcess.Run(["node", "--name", "n1", "--bind", "192.0.2.1:7741", "--data", dir.File("n1")]);
        Assert.Equal(1, plain.ExitCode);
        Assert.Equal("tern node: --bind 192.0.2.1 is beyond loopback: give --tls DIR (tern ca init, then tern ca issue NAME --ip 192.0.2.1)", plain.Stderr.Trim());

        Tern("ca", "init", "--dir", dir.File("ca"));
        Tern("ca", "init", "--dir", dir.File("other"));
        Tern("ca", "issue", "n1", "--dir", dir.File("ca"), "--out", dir.File("tls"), "--ip", "127.0.0.1");
        using var node = new ClusterNode("n1", dir.File("n1"), "--tls", dir.File("tls"));
        Assert.Equal(0, node.Ctl("hosts").ExitCode);
        var wrongCa = TernProcess.Run(["ctl", "--api", node.Api, "--token", node.Token, "--ca", Path.Combine(dir.File("other"), "ca-cert.pem"), "hosts"]);
        Assert.Equal(1, wrongCa.ExitCode);
        Assert.StartsWith("tern ctl: cannot reach the control API", wrongCa.Stderr.Trim());
    }
}
