using System.Text;
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
        if (colon <= 0) throw new CommandLineException($"bad {context} uri '{EchoedText.Clip(uri)}': expected tcp:IP:PORT, unix:PATH or file:PATH");
        string mode = uri[..colon];
        string rest = uri[(colon + 1)..];
        MigrationTransport transport = mode.ToLowerInvariant() switch
        {
            "tcp" => MigrationTransport.Tcp,
            "unix" => MigrationTransport.Unix,
            "file" => MigrationTransport.File,
            _ => throw new CommandLineException($"unsupported transport '{EchoedText.Clip(mode)}' in {context} uri '{EchoedText.Clip(uri)}'"),
        };
        if (transport == MigrationTransport.Tcp)
        {
            var (host, port) = HostPort.Parse(rest, $"{context} uri '{EchoedText.Clip(uri)}'");
            return new MigrationEndpoint(transport, host, port);
        }
        if (rest.Length == 0 || rest.Contains(':') || rest.Contains(','))
            throw new CommandLineException($"bad path '{EchoedText.Clip(rest)}' in {context} uri '{EchoedText.Clip(uri)}'");
        int bytes = Encoding.UTF8.GetByteCount(rest);
        if (transport == MigrationTransport.Unix && bytes > PathChecks.MaxSocketPathBytes)
            throw new CommandLineException($"socket path '{EchoedText.Clip(rest)}' in {context} uri is {bytes} bytes, more than {PathChecks.MaxSocketPathBytes}");
        return new MigrationEndpoint(transport, rest);
    }
}
