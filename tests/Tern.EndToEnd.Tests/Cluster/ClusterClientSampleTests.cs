using Tern.EndToEnd.Tests.Support;
using Xunit.Abstractions;
using static Tern.EndToEnd.Tests.Migration.TlsMigrationTests;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// The public actor API from outside the cluster: samples/MigrateWithClusterClient, a .NET program
/// that knows only the protocol package and Akka, connects to two TLS nodes through ClusterClient
/// with a certificate from the cluster's CA, lists the VMs, live-migrates one and prints its typed
/// progress to the end; the guest goes on on the other host. A client whose certificate another
/// CA signed gets no answer.
/// </summary>
public sealed class ClusterClientSampleTests(ITestOutputHelper output)
{
    /// <summary>Built by the solution build, in the configuration the tests run in.</summary>
    private static readonly string Sample = Path.Combine(Repo.Root, "samples/MigrateWithClusterClient/bin/Release/net10.0/MigrateWithClusterClient.dll");

    [KvmPostgresFact]
    public void The_sample_lists_the_vms_and_follows_a_live_migration_to_its_end_over_tls()
    {
        Assert.True(File.Exists(Sample), $"{Sample} is missing: build Cluster.sln in Release");
        using var nodes = new TlsNodePair();
        // The client's certificate names no address: nodes check only that the cluster's CA signed it.
        Ca("issue", "sample-client", "--dir", nodes.CaDirectory, "--out", nodes.Dir.File("client-tls"));
        var guest = nodes.StartSoak("a");

        string[] contacts = ["--contact", $"127.0.0.1:{nodes.N1.BindPort}", "--contact", $"127.0.0.1:{nodes.N2.BindPort}"];
        var run = TernProcess.Run([Sample, .. contacts, "--vm", "a", "--to", guest.To, "--tls", nodes.Dir.File("client-tls")], TimeSpan.FromSeconds(180), "dotnet");
        output.WriteLine(run.Output);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains(run.Stdout, l => l.StartsWith("  a ", StringComparison.Ordinal) && l.Contains("running") && l.Contains($"on {guest.From}"));
        Assert.Contains(run.Stdout, l => l.StartsWith("progress: ", StringComparison.Ordinal));
        // The sample's last word (Akka may log a harmless transport warning as its client shuts down).
        Assert.StartsWith($"migration of a completed: {guest.From} -> {guest.To}", run.Stdout.Last(l => !l.StartsWith('[')));
        nodes.AssertMovedAndWentOn(guest, "migrated by the sample");

        // A certificate from another CA is refused at the TLS handshake: no command reaches the manager.
        Ca("init", "--dir", nodes.Dir.File("other-ca"), "--name", "another CA");
        Ca("issue", "stranger", "--dir", nodes.Dir.File("other-ca"), "--out", nodes.Dir.File("stranger-tls"));
        var stranger = TernProcess.Run([Sample, .. contacts, "--vm", "a", "--to", guest.From, "--tls", nodes.Dir.File("stranger-tls")],
            TimeSpan.FromSeconds(120), "dotnet");
        Assert.True(stranger.ExitCode == 3, stranger.Output);
        Assert.Contains("no answer from the cluster", stranger.Stderr);
        Assert.Equal(guest.To, nodes.HostOf("a"));
    }
}
