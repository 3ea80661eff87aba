using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

/// <summary>TUN/TAP (linux/if_tun.h) and the interface ioctls (linux/sockios.h, linux/if.h) a TAP needs, a bridge's (linux/sockios.h) included.</summary>
internal static unsafe partial class Libc
{
    internal const int IFNAMSIZ = 16;
    internal const short IFF_UP = 0x1;
    internal const short IFF_TAP = 0x0002;
    internal const short IFF_NO_PI = 0x1000;

    internal const nuint TUNSETIFF = 0x400454ca;   // _IOW('T', 202, int)
    internal const nuint TUNSETPERSIST = 0x400454cb; // _IOW('T', 203, int)
    internal const nuint TUNSETOWNER = 0x400454cc;   // _IOW('T', 204, int)
    internal const nuint SIOCGIFFLAGS = 0x8913;
    internal const nuint SIOCSIFFLAGS = 0x8914;
    internal const nuint SIOCGIFINDEX = 0x8933;
    internal const nuint SIOCBRADDIF = 0x89a2;

    internal const int AF_INET = 2;
    internal const int SOCK_DGRAM = 2;
    internal const int SOCK_CLOEXEC = 0x80000;

    /// <summary>struct ifreq with the ifr_flags member of its union (40 bytes on x86-64).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 40)]
    internal struct IfReqFlags
    {
        public fixed byte Name[IFNAMSIZ];
        public short Flags;
    }

    /// <summary>struct ifreq with the ifr_ifindex member of its union (40 bytes on x86-64).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 40)]
    internal struct IfReqIndex
    {
        public fixed byte Name[IFNAMSIZ];
        public int Index;
    }

    /// <summary>net/if.h's struct if_nameindex: one entry of the array if_nameindex returns, ended by index 0.</summary>
    [StructLayout(LayoutKind.Sequential)]
#pragma warning disable CS8981 // the C library's name, as the kvm_* structs keep theirs
    internal struct if_nameindex
#pragma warning restore CS8981
    {
        public uint if_index;
        public byte* if_name;
    }

    [LibraryImport("libc", EntryPoint = "if_nameindex", SetLastError = true)]
    internal static partial if_nameindex* IfNameIndex();

    [LibraryImport("libc", EntryPoint = "if_freenameindex")]
    internal static partial void IfFreeNameIndex(if_nameindex* list);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);
}
