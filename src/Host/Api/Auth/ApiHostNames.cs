using System.Net;

namespace Tern.Host.Api.Auth;

/// <summary>
/// The Host header values that name this API: its own IP:PORT, on loopback also localhost and
/// the other loopback spelling, and any DNS names the operator lists in tern.node.api-host-names
/// (a node behind a name, with TLS). Lower-case, as <see cref="RequestGuard"/> compares them.
/// </summary>
public static class ApiHostNames
{
    public static IReadOnlySet<string> For((string Host, int Port) api, IEnumerable<string> extraNames)
    {
        var ip = IPAddress.Parse(api.Host);
        var names = new List<string> { Authority(ip.ToString(), api.Port) };
        if (IPAddress.IsLoopback(ip)) names.AddRange([Authority("localhost", api.Port), Authority("127.0.0.1", api.Port), Authority("::1", api.Port)]);
        names.AddRange(extraNames.Select(n => Authority(n, api.Port)));
        return names.Select(n => n.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>HOST:PORT as it appears in a Host header (an IPv6 address in brackets).</summary>
    public static string Authority(string host, int port) => host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";
}
