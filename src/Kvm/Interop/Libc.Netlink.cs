using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

/// <summary>rtnetlink (linux/netlink.h, linux/rtnetlink.h): the one request Tern sends, deleting a link.</summary>
internal static partial class Libc
{
    internal const int AF_NETLINK = 16;
    internal const int SOCK_RAW = 3;
    internal const int NETLINK_ROUTE = 0;

    internal const ushort RTM_DELLINK = 17;
    internal const ushort NLMSG_ERROR = 2;
    internal const ushort NLM_F_REQUEST = 0x1;
    internal const ushort NLM_F_ACK = 0x4;

    /// <summary>struct nlmsghdr (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
#pragma warning disable CS8981 // the kernel's name, as the kvm_* structs keep theirs
    internal struct nlmsghdr
#pragma warning restore CS8981
    {
        public uint nlmsg_len;
        public ushort nlmsg_type;
        public ushort nlmsg_flags;
        public uint nlmsg_seq;
        public uint nlmsg_pid;
    }

    /// <summary>struct ifinfomsg (16 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
#pragma warning disable CS8981
    internal struct ifinfomsg
#pragma warning restore CS8981
    {
        public byte ifi_family;
        public byte ifi_pad;
        public ushort ifi_type;
        public int ifi_index;
        public uint ifi_flags;
        public uint ifi_change;
    }

    /// <summary>A link request: the header and the ifinfomsg that follows it (32 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct LinkRequest
    {
        public nlmsghdr Header;
        public ifinfomsg Link;
    }

    /// <summary>struct nlmsgerr after its nlmsghdr: the kernel's answer to an NLM_F_ACK request (0 or -errno), then the request's header (36 bytes with both).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NetlinkAck
    {
        public nlmsghdr Header;
        public int error;
        public nlmsghdr msg;
    }
}
