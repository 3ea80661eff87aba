using Akka.Configuration;
using Tern.Host.Node;

namespace Tern.Host.Ctl;

/// <summary>
/// Where <c>tern ctl</c> finds a node: <c>--api</c>, else <c>TERN_API</c>, else the node's default
/// API address from hocon/node.conf; its token: <c>--token</c>, else <c>TERN_TOKEN</c>, else the
/// token a node run by this user keeps for that API in its data directory
/// (~/.local/share/tern/NAME/ctl.json, mode 0600); and for an https API the CA certificate to
/// check it with: <c>--ca</c>, else <c>TERN_CA</c>, else the one named in that same file.
/// </summary>
public static class CtlDefaults
{
    public static (string? Token, string? Ca) Credentials(string? tokenOption, string? caOption, Uri api)
    {
        var node = NodeFile(api);
        return (Given(tokenOption, "TERN_TOKEN") ?? node?.Token, Given(caOption, "TERN_CA") ?? node?.Ca);
    }

    private static string? Given(string? option, string variable) =>
        option ?? (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null);

    /// <summary>The ctl.json of a node run by this user whose API is <paramref name="api"/>, if any.</summary>
    private static NodeCredentials.CtlFile? NodeFile(Uri api)
    {
        string nodes = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "tern");
        if (!Directory.Exists(nodes)) return null;
        return Directory.EnumerateDirectories(nodes)
            .Select(NodeCredentials.Read)
            .FirstOrDefault(f => f is not null && Uri.TryCreate(f.Api, UriKind.Absolute, out var u) && SameEndpoint(u, api));
    }

    private static bool SameEndpoint(Uri a, Uri b) =>
        a.Scheme == b.Scheme && a.Port == b.Port && (a.Host == b.Host || a.IsLoopback && b.IsLoopback);

    public static Uri ApiAddress(string? option)
    {
        string text = option ?? Environment.GetEnvironmentVariable("TERN_API") ?? "http://" + NodeDefaultApi();
        if (!text.Contains("://", StringComparison.Ordinal)) text = "http://" + text;
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new ControlApiException($"bad API address '{text}': expected http://HOST:PORT");
    }

    private static string NodeDefaultApi() =>
        ConfigurationFactory.ParseString(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hocon", "node.conf")))
            .GetString("tern.node.default-api");
}
