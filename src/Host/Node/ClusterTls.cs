using System.Net;
using Akka.Remote.Transport.DotNetty;
using Tern.Actors.Security;
using Tern.Devices.Config;

namespace Tern.Host.Node;

/// <summary>
/// How a node uses its TLS credentials (<c>tern node --tls DIR</c>, a directory <c>tern ca issue</c>
/// wrote): the cluster transport runs mutual TLS, both sides presenting a certificate from the
/// cluster's CA and checking the other's against that CA alone, so a process without such a
/// certificate can neither join nor send; the HTTP API serves HTTPS with the same certificate.
/// A node that binds beyond loopback must have them.
/// </summary>
public static class ClusterTls
{
    /// <summary>The remoting setup: this node's certificate, peers checked by the cluster CA (not the system trust store, not by host name: nodes are known by certificate).</summary>
    public static DotNettySslSetup Remoting(TlsCredentials tls) => new(
        tls.Certificate,
        suppressValidation: false,
        requireMutualAuthentication: true,
        validateCertificateHostname: false,
        customValidator: (certificate, _, _, _, _) => tls.Trusts(certificate));

    /// <summary>Loads <paramref name="directory"/>'s server credentials; a problem is a start error naming the file.</summary>
    public static TlsCredentials? Load(string? directory)
    {
        if (directory is null) return null;
        try
        {
            return TlsCredentials.Load(directory, TlsCredsEndpoint.Server);
        }
        catch (TlsCredentialsException e)
        {
            throw new NodeStartException($"--tls: {e.Message}");
        }
    }

    /// <summary>Refuses to expose the cluster port or the API beyond this machine without TLS.</summary>
    public static void RequireBeyondLoopback(TlsCredentials? tls, (string Host, int Port) bind, (string Host, int Port) api)
    {
        if (tls is not null) return;
        foreach (var (option, endpoint) in new[] { ("--bind", bind), ("--api", api) })
            if (!IPAddress.IsLoopback(IPAddress.Parse(endpoint.Host)))
                throw new NodeStartException($"{option} {endpoint.Host} is beyond loopback: give --tls DIR (tern ca init, then tern ca issue NAME --ip {endpoint.Host})");
    }
}
