using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Tern.Actors.Security;
using Tern.Devices.Config;

namespace Tern.Actors.Tests.Support;

/// <summary>
/// A throwaway CA and one certificate for 127.0.0.1, for server and client use, written in the
/// tls-creds-x509 layout TlsCredentials reads (Tern's own CA tool lives in the Host project).
/// </summary>
internal static class TestCertificates
{
    /// <summary>Makes a CA named <paramref name="caName"/> and returns the credentials it issued, loaded from <paramref name="directory"/>.</summary>
    public static TlsCredentials Issue(string directory, string caName)
    {
        Directory.CreateDirectory(directory);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN={caName}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=node", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var issued = request.Create(ca, now.AddMinutes(-5), now.AddHours(12), RandomNumberGenerator.GetBytes(8));

        File.WriteAllText(Path.Combine(directory, TlsCredentials.CaCertificateFile), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, TlsCredentials.ServerCertificateFile), issued.ExportCertificatePem());
        File.WriteAllText(Path.Combine(directory, TlsCredentials.ServerKeyFile), key.ExportPkcs8PrivateKeyPem());
        return TlsCredentials.Load(directory, TlsCredsEndpoint.Server);
    }
}
