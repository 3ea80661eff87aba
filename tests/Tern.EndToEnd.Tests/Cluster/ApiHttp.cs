using System.Net.Http.Headers;

namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>An HTTP client for a node's control API, sending a bearer token as tern ctl does.</summary>
public static class ApiHttp
{
    public static HttpClient Client(string api, string? token, TimeSpan? timeout = null)
    {
        var http = new HttpClient { BaseAddress = new Uri(api), Timeout = timeout ?? TimeSpan.FromSeconds(100) };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }
}
