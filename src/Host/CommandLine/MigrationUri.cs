using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// Migration URIs as StratoVirt takes them in <c>-incoming</c> and QMP <c>migrate</c>:
/// <c>tcp:IP:PORT</c>, <c>unix:PATH</c>, <c>file:PATH</c>, the transport in any case. Paths may
/// not contain ':' (StratoVirt's rule). Syntax only: whether paths exist is the caller's business.
/// </summary>
public static class MigrationUri
{
    /// <param name="context">How messages name the URI's origin, e.g. <c>-incoming</c>.</param>
    public static MigrationEndpoint Parse(string uri, string context)
    {
        int colon = uri.IndexOf(':');
        if (colon <= 0) throw new CommandLineException($"bad {context} uri '{uri}': expected tcp:IP:PORT, unix:PATH or file:PATH");
        string mode = uri[..colon];
        string rest = uri[(colon + 1)..];
        MigrationTransport transport = mode.ToLowerInvariant() switch
        {
            "tcp" => MigrationTransport.Tcp,
            "unix" => MigrationTransport.Unix,
            "file" => MigrationTransport.File,
            _ => throw new CommandLineException($"unsupported transport '{mode}' in {context} uri '{uri}'"),
        };
        if (transport == MigrationTransport.Tcp)
        {
            var (host, port) = HostPort.Parse(rest, $"{context} uri '{uri}'");
            return new MigrationEndpoint(transport, host, port);
        }
        if (rest.Length == 0 || rest.Contains(':') || rest.Contains(','))
            throw new CommandLineException($"bad path '{rest}' in {context} uri '{uri}'");
        return new MigrationEndpoint(transport, rest);
    }
}
