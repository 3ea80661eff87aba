using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// <c>-incoming tcp:IP:PORT | unix:PATH | file:DIR | defer</c>. Beyond the URI syntax: a unix socket's
/// directory must exist (the destination listens there) and nothing but a socket may be at its
/// path (a stale one is replaced), and a file: snapshot directory must exist. <c>defer</c>
/// (QEMU's) leaves the URI to QMP <c>migrate-incoming</c>.
/// </summary>
internal static class IncomingOption
{
    public const string Defer = "defer";

    public static MigrationEndpoint Parse(string text)
    {
        var endpoint = MigrationUri.Parse(text, "-incoming");
        switch (endpoint.Transport)
        {
            case MigrationTransport.Unix:
                PathChecks.RequireSocketPath(endpoint.PathOrHost, "-incoming socket");
                break;
            case MigrationTransport.File:
                PathChecks.RequireDirectory(endpoint.PathOrHost, "-incoming snapshot");
                break;
        }
        return endpoint;
    }
}
