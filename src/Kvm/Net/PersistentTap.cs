using System.Runtime.InteropServices;
using System.Text;
using Tern.Kvm.Interop;

namespace Tern.Kvm.Net;

/// <summary>
/// TAPs that a node makes for its VMs and removes when they end: persistent (TUNSETPERSIST), so
/// they outlive the descriptor that made them and wait for the VM's process to open them by name
/// (<see cref="TapDevice.Open"/>), owned by the user that process becomes (TUNSETOWNER), up, and a
/// port of a bridge (SIOCBRADDIF). Removal is an rtnetlink RTM_DELLINK, which works whether or not
/// a process still has the TAP open. Everything acts on the calling process's network namespace.
/// </summary>
public static class PersistentTap
{
    private const int ENODEV = 19;
    private const int EOPNOTSUPP = 95;
    private const int EBUSY = 16;

    /// <summary>
    /// Makes TAP <paramref name="name"/> (removing one of that name first), owned by
    /// <paramref name="owner"/> (null: only privileged processes may open it), up, and a port of
    /// bridge <paramref name="bridge"/>; throws <see cref="TapException"/> saying what failed, and
    /// then leaves no TAP behind.
    /// </summary>
    public static unsafe void Create(string name, string bridge, uint? owner)
    {
        CheckName(name, "TAP");
        CheckName(bridge, "bridge");
        if (Index(bridge) is null) throw new TapException(ENODEV, $"bridge {bridge} does not exist");
        Delete(name);
        int fd = Libc.Open("/dev/net/tun", Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        if (fd < 0) throw Failure($"cannot open /dev/net/tun for TAP {name}");
        using (var tun = new KvmHandle(fd))
        {
            var request = new Libc.IfReqFlags { Flags = Libc.IFF_TAP | Libc.IFF_NO_PI };
            Encoding.ASCII.GetBytes(name).CopyTo(new Span<byte>(request.Name, Libc.IFNAMSIZ));
            // SAFETY: request is a struct ifreq on this stack frame; TUNSETIFF reads and writes only that.
            if (tun.TryIoctl(Libc.TUNSETIFF, &request) < 0) throw Failure($"cannot create TAP {name}");
            // Both take their argument by value, not through a pointer. Until it is persistent a
            // failure leaves nothing: the TAP goes with its descriptor.
            if (owner is { } uid && tun.TryIoctl(Libc.TUNSETOWNER, (nint)uid) < 0) throw Failure($"cannot give TAP {name} to uid {uid}");
            if (tun.TryIoctl(Libc.TUNSETPERSIST, 1) < 0) throw Failure($"cannot make TAP {name} persistent");
        }
        try
        {
            TapDevice.SetUp(name);
            AttachTo(name, bridge);
        }
        catch
        {
            Delete(name);
            throw;
        }
    }

    /// <summary>Sets TAP <paramref name="name"/> up or down (down: its bridge forwards it nothing). Throws <see cref="TapException"/>.</summary>
    public static void SetLink(string name, bool up) => TapDevice.SetLink(name, up);

    /// <summary>Whether an interface named <paramref name="name"/> exists in this network namespace.</summary>
    public static bool Exists(string name) => Index(name) is not null;

    /// <summary>Removes interface <paramref name="name"/>; false when there was none. Throws <see cref="TapException"/> when it stays.</summary>
    public static unsafe bool Delete(string name)
    {
        if (Index(name) is not { } index) return false;
        int sock = Libc.Socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
        if (sock < 0) throw Failure($"cannot remove {name}: no netlink socket");
        using var netlink = new KvmHandle(sock);
        using var fd = netlink.Borrow();
        var request = new Libc.LinkRequest
        {
            Header = new Libc.nlmsghdr
            {
                nlmsg_len = (uint)sizeof(Libc.LinkRequest),
                nlmsg_type = Libc.RTM_DELLINK,
                nlmsg_flags = Libc.NLM_F_REQUEST | Libc.NLM_F_ACK,
                nlmsg_seq = 1,
            },
            Link = new Libc.ifinfomsg { ifi_index = index },
        };
        // SAFETY: request is a blittable struct on this stack frame of the size written.
        if (Libc.Write(fd.Number, &request, (nuint)sizeof(Libc.LinkRequest)) != sizeof(Libc.LinkRequest))
            throw Failure($"cannot remove {name}: the netlink request was not sent");
        var answer = stackalloc byte[512];
        // SAFETY: answer is 512 bytes on this stack frame; read writes at most that many.
        nint n = Libc.Read(fd.Number, answer, 512);
        if (n < sizeof(Libc.NetlinkAck)) throw Failure($"cannot remove {name}: no answer from netlink");
        // SAFETY: at least sizeof(NetlinkAck) bytes were read into answer.
        var ack = *(Libc.NetlinkAck*)answer;
        if (ack.Header.nlmsg_type != Libc.NLMSG_ERROR) throw new TapException(Errno.EINVAL, $"cannot remove {name}: netlink answered type {ack.Header.nlmsg_type}");
        if (ack.error == -ENODEV) return false; // gone meanwhile
        if (ack.error < 0) throw new TapException(-ack.error, $"cannot remove {name}: {Marshal.GetPInvokeErrorMessage(-ack.error)}");
        return true;
    }

    /// <summary>The names of every network interface in this network namespace.</summary>
    public static unsafe IReadOnlyList<string> Interfaces()
    {
        var list = Libc.IfNameIndex();
        if (list is null) throw Failure("cannot list the network interfaces");
        try
        {
            var names = new List<string>();
            // SAFETY: if_nameindex returns an array ended by an entry of index 0, each name a C string, valid until freed below.
            for (var entry = list; entry->if_index != 0; entry++) names.Add(Marshal.PtrToStringUTF8((nint)entry->if_name)!);
            return names;
        }
        finally
        {
            Libc.IfFreeNameIndex(list);
        }
    }

    private static unsafe void AttachTo(string name, string bridge)
    {
        int index = Index(name) ?? throw new TapException(ENODEV, $"TAP {name} went away before it joined bridge {bridge}");
        using var socket = InterfaceSocket();
        var request = new Libc.IfReqIndex { Index = index };
        Encoding.ASCII.GetBytes(bridge).CopyTo(new Span<byte>(request.Name, Libc.IFNAMSIZ));
        // SAFETY: request is a struct ifreq on this stack frame; SIOCBRADDIF reads only its name and index.
        if (socket.TryIoctl(Libc.SIOCBRADDIF, &request) >= 0) return;
        int errno = Marshal.GetLastPInvokeError();
        throw new TapException(errno, errno switch
        {
            EOPNOTSUPP or Errno.EINVAL => $"interface {bridge} is not a bridge",
            ENODEV => $"bridge {bridge} does not exist",
            EBUSY => $"TAP {name} is already a port of another bridge",
            _ => $"cannot add TAP {name} to bridge {bridge}: {Marshal.GetPInvokeErrorMessage(errno)}",
        });
    }

    /// <summary>The interface's index, or null when there is no interface of that name.</summary>
    private static unsafe int? Index(string name)
    {
        using var socket = InterfaceSocket();
        var request = new Libc.IfReqIndex();
        Encoding.ASCII.GetBytes(name).CopyTo(new Span<byte>(request.Name, Libc.IFNAMSIZ));
        // SAFETY: request is a struct ifreq on this stack frame; SIOCGIFINDEX writes only its index.
        if (socket.TryIoctl(Libc.SIOCGIFINDEX, &request) >= 0) return request.Index;
        if (Marshal.GetLastPInvokeError() == ENODEV) return null;
        throw Failure($"cannot look up interface {name}");
    }

    private static KvmHandle InterfaceSocket()
    {
        int sock = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        return sock >= 0 ? new KvmHandle(sock) : throw Failure("cannot open a socket for interface requests");
    }

    private static void CheckName(string name, string what)
    {
        if (name.Length is 0 or >= Libc.IFNAMSIZ || name is "." or ".." || name.Any(c => c is '/' or ':' || c > 0x7e || char.IsWhiteSpace(c) || char.IsControl(c)))
            throw new TapException(Errno.EINVAL, $"'{name}' is not a valid {what} name (1..{Libc.IFNAMSIZ - 1} characters, no '/', ':' or spaces)");
    }

    private static TapException Failure(string what)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new TapException(errno, $"{what}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}
