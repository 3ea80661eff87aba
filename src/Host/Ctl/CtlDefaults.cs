using Akka.Configuration;
using Tern.Host.Node;

namespace Tern.Host.Ctl;

/// <summary>
/// Where <c>tern ctl</c> finds a node: <c>--api</c>, else <c>TERN_API</c>, else the node's default
/// API address from hocon/node.conf; and its token: <c>--token</c>, else <c>TERN_TOKEN</c>, else the
/// token a node run by this user keeps for that API in its data directory
/// (~/.local/share/tern/NAME/ctl.json, mode 0600).
/// </summary>
public static class CtlDefaults
{
    public static string? Token(string? option, Uri api)
    {
        if ((option ?? Environment.GetEnvironmentVariable("TERN_TOKEN")) is { Length: > 0 } given) return given;
        string nodes = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "tern");
        if (!Directory.Exists(nodes)) return null;
        return Directory.EnumerateDirectories(nodes)
            .Select(d => NodeCredentials.Read(Path.Combine(d, NodeCredentials.FileName)))
            .FirstOrDefault(f => f is not null && Uri.TryCreate(f.Api, UriKind.Absolute, out var u) && SameEndpoint(u, api))?.Token;
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
