using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// <c>-incoming tcp:IP:PORT | unix:PATH | file:PATH | defer</c>. Beyond the URI syntax: a unix
/// socket's directory must exist (the destination listens there) and nothing but a socket may be
/// at its path (a stale one is replaced); <c>unix:@NAME</c> is an abstract socket, which has
/// neither. <c>file:PATH</c> restores the snapshot that QMP <c>migrate</c> to that URI saved (QEMU's
/// spelling): it must be a readable regular file; what it holds is checked when the VM is built.
/// <c>defer</c> (QEMU's) leaves the URI to QMP <c>migrate-incoming</c>.
/// </summary>
internal static class IncomingOption
{
    public const string Defer = "defer";

    public static MigrationEndpoint Parse(string text)
    {
        var endpoint = MigrationUri.Parse(text, "-incoming");
        switch (endpoint.Transport)
        {
            case MigrationTransport.Unix when !Tern.Actors.Migration.Engine.Transport.AbstractSocketPeers.IsAbstract(endpoint.PathOrHost):
                PathChecks.RequireSocketPath(endpoint.PathOrHost, "-incoming socket");
                break;
            case MigrationTransport.File:
                PathChecks.RequireReadableFile(endpoint.PathOrHost, "-incoming snapshot");
                break;
        }
        return endpoint;
    }
}
