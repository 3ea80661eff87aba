using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using Tern.Actors.Security;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>An HTTP client for a node's control API, sending a bearer token as tern ctl does.</summary>
public static class ApiHttp
{
    /// <param name="ca">For an https API: the cluster CA certificate its certificate must chain to.</param>
    public static HttpClient Client(string api, string? token, TimeSpan? timeout = null, string? ca = null)
    {
        var handler = new HttpClientHandler();
        if (ca is not null)
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(ca);
            string host = new Uri(api).Host;
            handler.ServerCertificateCustomValidationCallback = (_, certificate, _, _) => TlsCredentials.ChainsTo(certificate, authorities, host);
        }
        var http = new HttpClient(handler) { BaseAddress = new Uri(api), Timeout = timeout ?? TimeSpan.FromSeconds(100) };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }
}
