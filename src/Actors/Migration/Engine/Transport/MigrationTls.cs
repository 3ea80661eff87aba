using System.Net.Security;
using Tern.Actors.Security;

namespace Tern.Actors.Migration.Engine.Transport;

/// <summary>
/// TLS for one migration, on each of its connections (the main one and every multifd data
/// channel): this side's credentials, whether the peer's certificate is checked (QEMU's
/// <c>verify-peer</c>), and on the source the name the destination's certificate must carry.
/// The handshake itself is in <see cref="MigrationConnection"/>.
/// </summary>
public sealed record MigrationTls(TlsCredentials Credentials, bool VerifyPeer = true, string? Hostname = null)
{
    /// <summary>The destination's side: a client certificate from this CA is required unless verify-peer is off.</summary>
    internal SslServerAuthenticationOptions ServerOptions(PeerCheck check)
    {
        var options = Credentials.ServerOptions();
        options.ClientCertificateRequired = VerifyPeer;
        options.RemoteCertificateValidationCallback = (_, peer, _, _) => !VerifyPeer || check.Judge(Credentials, peer, null, "source");
        return options;
    }

    /// <summary>The source's side: the destination's certificate must come from this CA and name <see cref="Hostname"/>.</summary>
    internal SslClientAuthenticationOptions ClientOptions(PeerCheck check)
    {
        string host = Hostname ?? throw new InvalidOperationException("a TLS source needs the destination's name");
        var options = Credentials.ClientOptions(host);
        options.RemoteCertificateValidationCallback = (_, peer, _, _) => !VerifyPeer || check.Judge(Credentials, peer, host, "destination");
        return options;
    }
}

/// <summary>What the handshake's certificate check saw: a failed handshake then says why, not only that it failed.</summary>
internal sealed class PeerCheck
{
    /// <summary>True once the peer's certificate (or its absence) was looked at: the peer spoke TLS that far.</summary>
    public bool Ran { get; private set; }

    /// <summary>Why the peer's certificate was refused; null when it was accepted or never seen.</summary>
    public string? Refusal { get; private set; }

    public bool Judge(TlsCredentials own, System.Security.Cryptography.X509Certificates.X509Certificate? peer, string? host, string peerName)
    {
        Ran = true;
        Refusal = peer is null ? $"the {peerName} presented no certificate"
            : !own.Trusts(peer) ? $"the {peerName}'s certificate is not from the CA in {own.Directory}"
            : host is not null && !TlsCredentials.Names(peer, host) ? $"the {peerName}'s certificate does not name '{host}'"
            : null;
        return Refusal is null;
    }
}
