using Akka.Configuration;

namespace Tern.Host.Ctl;

/// <summary>Where <c>tern ctl</c> finds a node: <c>--api</c>, else <c>TERN_API</c>, else the node's default API address from hocon/node.conf.</summary>
public static class CtlDefaults
{
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
