using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

/// <summary>TUN/TAP (linux/if_tun.h) and the interface ioctls (linux/sockios.h, linux/if.h) a TAP needs.</summary>
internal static unsafe partial class Libc
{
    internal const int IFNAMSIZ = 16;
    internal const short IFF_UP = 0x1;
    internal const short IFF_TAP = 0x0002;
    internal const short IFF_NO_PI = 0x1000;

    internal const nuint TUNSETIFF = 0x400454ca;   // _IOW('T', 202, int)
    internal const nuint SIOCGIFFLAGS = 0x8913;
    internal const nuint SIOCSIFFLAGS = 0x8914;

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

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    internal static partial int Socket(int domain, int type, int protocol);
}
