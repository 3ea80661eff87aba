using System.Text;
using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// <c>-qmp unix:PATH,server,nowait</c> or <c>-qmp tcp:IP:PORT,server,nowait</c>. StratoVirt
/// requires both <c>server</c> and <c>nowait</c>; QEMU's <c>server=on</c> and <c>wait=off</c> also do.
/// </summary>
internal static class QmpOption
{
    public static QmpEndpoint Parse(string text)
    {
        int comma = text.IndexOf(',');
        string uri = comma < 0 ? text : text[..comma];
        var endpoint = ParseUri(uri);
        bool server = false, noWait = false;
        if (comma >= 0)
        {
            var p = OptionProperties.Parse("-qmp", text[(comma + 1)..]);
            server = p.TakeFlag("server") || (p.TakeBool("server") ?? false);
            noWait = p.TakeFlag("nowait") || !(p.TakeBool("wait") ?? true);
            p.RejectUnknown();
        }
        if (!server) throw new CommandLineException($"-qmp '{EchoedText.Clip(uri)}' needs 'server'");
        if (!noWait) throw new CommandLineException($"-qmp '{EchoedText.Clip(uri)}' needs 'nowait'");
        return endpoint;
    }

    private static QmpEndpoint ParseUri(string uri)
    {
        if (uri.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = uri["unix:".Length..];
            if (path.Length == 0) throw new CommandLineException($"bad -qmp uri '{EchoedText.Clip(uri)}': empty path");
            int bytes = Encoding.UTF8.GetByteCount(path);
            if (bytes > PathChecks.MaxSocketPathBytes)
                throw new CommandLineException($"-qmp socket path '{EchoedText.Clip(path)}' is {bytes} bytes, more than {PathChecks.MaxSocketPathBytes}");
            PathChecks.RequireParentDirectory(path, "qmp socket");
            return new QmpEndpoint(QmpTransport.Unix, path);
        }
        if (uri.StartsWith("tcp:", StringComparison.Ordinal))
        {
            var (host, port) = HostPort.Parse(uri["tcp:".Length..], $"-qmp '{EchoedText.Clip(uri)}'");
            return new QmpEndpoint(QmpTransport.Tcp, host, port);
        }
        throw new CommandLineException($"bad -qmp uri '{EchoedText.Clip(uri)}': expected unix:PATH or tcp:IP:PORT");
    }
}
