using System.Collections.Immutable;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Cluster.Tools.Client;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;
using Tern.Actors.Cluster.Protocol;

namespace Tern.Samples.MigrateWithClusterClient;

/// <summary>
/// A plain remoting ActorSystem (not a cluster member) with a ClusterClient aimed at the nodes'
/// receptionists. The client's serializer is the protocol's (<see cref="ClusterSerialization"/>);
/// with TLS it presents a certificate the cluster's CA signed and trusts only peers that CA signed.
/// </summary>
public static class ClientSystem
{
    public static (ActorSystem System, IActorRef Client) Start(SampleOptions options)
    {
        bool tls = options.TlsDirectory is not null;
        var config = ConfigurationFactory.ParseString($$"""
            akka {
              actor.provider = remote
              remote.dot-netty.tcp {
                hostname = "{{options.Bind}}"
                port = 0
                enable-ssl = {{(tls ? "on" : "off")}}
                maximum-frame-size = 1MiB
              }
              # The program prints what matters itself; Akka's own lines only when something is wrong.
              loglevel = WARNING
              log-dead-letters = off
              remote.log-remote-lifecycle-events = off
            }
            """)
            .WithFallback(ConfigurationFactory.ParseString(ClusterSerialization.Config))
            .WithFallback(ClusterClientReceptionist.DefaultConfig());
        var bootstrap = BootstrapSetup.Create().WithConfig(config);
        var system = ActorSystem.Create("tern-client", tls ? bootstrap.And(Tls(options.TlsDirectory!)) : ActorSystemSetup.Create(bootstrap));
        var contacts = options.Contacts.Select(c => ActorPath.Parse(ClusterEndpoints.Receptionist(c.Host, c.Port, tls))).ToImmutableHashSet();
        var client = system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(system).WithInitialContacts(contacts)), "tern");
        return (system, client);
    }

    /// <summary>The client's certificate from <c>tern ca issue</c>'s files; a node is trusted when its certificate chains to the CA there.</summary>
    private static DotNettySslSetup Tls(string directory)
    {
        var certificate = X509Certificate2.CreateFromPemFile(Path.Combine(directory, "client-cert.pem"), Path.Combine(directory, "client-key.pem"));
        var ca = new X509Certificate2Collection();
        ca.ImportFromPemFile(Path.Combine(directory, "ca-cert.pem"));
        return new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false,
            customValidator: (peer, _, _, _, _) => peer is not null && SignedBy(ca, X509CertificateLoader.LoadCertificate(peer.GetRawCertData())));
    }

    private static bool SignedBy(X509Certificate2Collection ca, X509Certificate2 peer)
    {
        using var chain = new X509Chain { ChainPolicy = { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck } };
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        return chain.Build(peer);
    }
}
