using System.Buffers.Binary;
using System.Net.Sockets;

namespace Tern.Actors.Migration.Engine.Transport;

/// <summary>
/// Who may connect to a migration listener on a Linux abstract UNIX socket (<c>unix:@NAME</c>).
/// An abstract socket has no file, so no file permissions guard it: any process in the network
/// namespace could connect. So the listener takes only peers that act as root or as its own user
/// (SO_PEERCRED, the credentials the peer had when it connected). A cluster upgrade uses it: the
/// node's data directory is closed to VM processes that run as users of their own, and the new
/// process listens abstractly as the same user as the one whose guest it takes over.
/// </summary>
public static class AbstractSocketPeers
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>Whether <paramref name="path"/> (a unix: URI's path) names an abstract socket.</summary>
    public static bool IsAbstract(string path) => path.StartsWith('@');

    /// <summary>The name the kernel uses: a leading NUL instead of '@'.</summary>
    public static string KernelName(string path) => "\0" + path[1..];

    /// <summary>Whether a process of <paramref name="peerUid"/> may migrate into a listener of <paramref name="ownUid"/>.</summary>
    public static bool Allowed(uint peerUid, uint ownUid) => peerUid == 0 || peerUid == ownUid;

    /// <summary>
    /// Refuses (<see cref="MigrationRefusedException"/>) a connection accepted on an abstract socket
    /// from a peer <see cref="Allowed"/> does not admit; other sockets pass untouched.
    /// </summary>
    public static void Check(Socket accepted)
    {
        if (accepted.AddressFamily != AddressFamily.Unix || accepted.LocalEndPoint is not UnixDomainSocketEndPoint local) return;
        var address = local.Serialize();
        if (address.Size <= 2 || address[2] != 0) return; // a path in the file system: its permissions decide
        Span<byte> credentials = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        if (accepted.GetRawSocketOption(SolSocket, SoPeerCred, credentials) < 12)
            throw new MigrationRefusedException("the peer's credentials are unknown");
        uint peer = BinaryPrimitives.ReadUInt32LittleEndian(credentials[4..]);
        uint own = Tern.Kvm.HostProcess.EffectiveUid;
        if (!Allowed(peer, own)) throw new MigrationRefusedException($"a process of uid {peer} may not migrate into this one (uid {own})");
    }
}
