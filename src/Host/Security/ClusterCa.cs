using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tern.Actors.Security;

namespace Tern.Host.Security;

/// <summary>
/// A cluster's own certificate authority, as <c>tern ca</c> keeps it: <c>ca-cert.pem</c> and
/// <c>ca-key.pem</c> (mode 0600) in one directory. It issues each node one certificate (ECDSA
/// P-256, for both TLS server and client use, naming the node and its addresses) written in the
/// layout <see cref="TlsCredentials"/> and QEMU's tls-creds-x509 read.
/// </summary>
public static class ClusterCa
{
    public const string CaKeyFile = "ca-key.pem";
    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan NodeLifetime = TimeSpan.FromDays(825);
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>Makes a new CA in <paramref name="directory"/>; refuses to overwrite one.</summary>
    public static void Init(string directory, string name)
    {
        string certPath = Path.Combine(directory, TlsCredentials.CaCertificateFile);
        if (File.Exists(certPath) || File.Exists(Path.Combine(directory, CaKeyFile)))
            throw new CaException($"{directory} already holds a CA; remove it first to make a new one");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var ca = request.CreateSelfSigned(now.AddMinutes(-5), now + CaLifetime);
        PrivateDirectory(directory);
        WritePrivate(Path.Combine(directory, CaKeyFile), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certPath, ca.ExportCertificatePem());
    }

    /// <summary>
    /// Issues <paramref name="node"/> a certificate from the CA in <paramref name="caDirectory"/>,
    /// valid for the DNS names and IP addresses given (and the node's name), into <paramref name="output"/>.
    /// </summary>
    public static void Issue(string caDirectory, string node, IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> addresses, string output)
    {
        using var ca = LoadCa(caDirectory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={node}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid), new Oid(ClientAuthOid)], false));
        var names = new SubjectAlternativeNameBuilder();
        foreach (string dns in dnsNames.Prepend(node).Distinct(StringComparer.OrdinalIgnoreCase)) names.AddDnsName(dns);
        foreach (var ip in addresses) names.AddIpAddress(ip);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f; // a positive serial number
        using var issued = request.Create(ca, now.AddMinutes(-5), Min(now + NodeLifetime, ca.NotAfter), serial);

        PrivateDirectory(output);
        string certPem = issued.ExportCertificatePem();
        string keyPem = key.ExportPkcs8PrivateKeyPem();
        File.WriteAllText(Path.Combine(output, TlsCredentials.CaCertificateFile), ca.ExportCertificatePem());
        // One certificate serves both roles: a node accepts connections and makes them.
        File.WriteAllText(Path.Combine(output, TlsCredentials.ServerCertificateFile), certPem);
        File.WriteAllText(Path.Combine(output, TlsCredentials.ClientCertificateFile), certPem);
        WritePrivate(Path.Combine(output, TlsCredentials.ServerKeyFile), keyPem);
        WritePrivate(Path.Combine(output, TlsCredentials.ClientKeyFile), keyPem);
    }

    private static X509Certificate2 LoadCa(string directory)
    {
        string cert = Path.Combine(directory, TlsCredentials.CaCertificateFile), key = Path.Combine(directory, CaKeyFile);
        try
        {
            return X509Certificate2.CreateFromPemFile(cert, key);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new CaException($"no usable CA in {directory} ({TlsCredentials.CaCertificateFile} and {CaKeyFile}): {e.Message}; tern ca init makes one");
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTime b) => a < b ? a : new DateTimeOffset(b);

    private static void PrivateDirectory(string directory)
    {
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static void WritePrivate(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options)) writer.Write(text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // a file that was there kept its mode
    }
}

/// <summary>A <c>tern ca</c> request that cannot be carried out; the message says why.</summary>
public sealed class CaException(string message) : Exception(message);
