using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tern.Devices.Config;

namespace Tern.Actors.Security;

/// <summary>
/// X.509 credentials from a directory laid out as QEMU's tls-creds-x509 expects (and as
/// <c>tern ca issue</c> writes): <c>ca-cert.pem</c>, the CA every peer must chain to;
/// <c>server-cert.pem</c>/<c>server-key.pem</c> and <c>client-cert.pem</c>/<c>client-key.pem</c>, this
/// side's certificate and key in each role. Peers are checked against this CA alone (never the
/// system's trust store), in both directions: a cluster's certificates are its own.
/// </summary>
public sealed class TlsCredentials : IDisposable
{
    public const string CaCertificateFile = "ca-cert.pem";
    public const string ServerCertificateFile = "server-cert.pem";
    public const string ServerKeyFile = "server-key.pem";
    public const string ClientCertificateFile = "client-cert.pem";
    public const string ClientKeyFile = "client-key.pem";

    private TlsCredentials(string directory, X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        Directory = directory;
        Certificate = certificate;
        Authorities = authorities;
    }

    public string Directory { get; }

    /// <summary>This side's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The CA certificates a peer's certificate must chain to.</summary>
    public X509Certificate2Collection Authorities { get; }

    /// <summary>Loads the CA and this side's certificate and key; a missing or unreadable file is a <see cref="TlsCredentialsException"/> naming it.</summary>
    public static TlsCredentials Load(string directory, TlsCredsEndpoint endpoint)
    {
        string Path(string file) => System.IO.Path.Combine(directory, file);
        var (cert, key) = endpoint == TlsCredsEndpoint.Server ? (ServerCertificateFile, ServerKeyFile) : (ClientCertificateFile, ClientKeyFile);
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(Path(CaCertificateFile));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new TlsCredentialsException($"cannot read the CA certificate {Path(CaCertificateFile)}: {e.Message}");
        }
        if (authorities.Count == 0) throw new TlsCredentialsException($"{Path(CaCertificateFile)} holds no certificate");
        X509Certificate2 own;
        try
        {
            own = X509Certificate2.CreateFromPemFile(Path(cert), Path(key));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new TlsCredentialsException($"cannot load {Path(cert)} with {Path(key)}: {e.Message}");
        }
        return new TlsCredentials(directory, own, authorities);
    }

    /// <summary>
    /// True when <paramref name="peer"/> chains to this CA (checked as of now, no revocation
    /// lists: a cluster CA revokes by re-keying) and, when <paramref name="expectedHost"/> is
    /// given, names that host (DNS name or IP address in its subject alternative names).
    /// </summary>
    public bool Trusts(X509Certificate? peer, string? expectedHost = null) => ChainsTo(peer, Authorities, expectedHost);

    /// <summary><see cref="Trusts"/> for a side that holds only the CA certificates (a client that authenticates otherwise, such as tern ctl with a token).</summary>
    public static bool ChainsTo(X509Certificate? peer, X509Certificate2Collection authorities, string? expectedHost)
    {
        if (peer is null) return false;
        using var certificate = X509CertificateLoader.LoadCertificate(peer.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (!chain.Build(certificate)) return false;
        return expectedHost is null || Names(certificate, expectedHost);
    }

    /// <summary>Whether <paramref name="peer"/> names <paramref name="host"/> (a DNS name or IP address in its subject alternative names); says nothing of who signed it.</summary>
    public static bool Names(X509Certificate peer, string host)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(peer.GetRawCertData());
        return certificate.MatchesHostname(host, allowWildcards: false, allowCommonName: false);
    }

    /// <summary>Server side: presents this certificate and requires a client certificate from this CA.</summary>
    public SslServerAuthenticationOptions ServerOptions() => new()
    {
        ServerCertificateContext = SslStreamCertificateContext.Create(Certificate, null),
        ClientCertificateRequired = true,
        RemoteCertificateValidationCallback = (_, peer, _, _) => Trusts(peer),
    };

    /// <summary>Client side: presents this certificate and requires the server's to come from this CA and name <paramref name="host"/>.</summary>
    public SslClientAuthenticationOptions ClientOptions(string host) => new()
    {
        TargetHost = host,
        ClientCertificates = [Certificate],
        RemoteCertificateValidationCallback = (_, peer, _, _) => Trusts(peer, host),
    };

    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var a in Authorities) a.Dispose();
    }
}

/// <summary>TLS credentials that cannot be used; the message names the file and why.</summary>
public sealed class TlsCredentialsException(string message) : Exception(message);
