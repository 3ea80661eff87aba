using System.Runtime.InteropServices;

namespace Tern.Kvm.Interop;

/// <summary>Passing file descriptors over a UNIX socket (SCM_RIGHTS), and the seals that say what a memfd's holders may do.</summary>
internal static unsafe partial class Libc
{
    internal const int SOL_SOCKET = 1;
    internal const int SCM_RIGHTS = 1;
    internal const int MSG_DONTWAIT = 0x40;
    internal const int MSG_CTRUNC = 0x8;
    internal const int MSG_NOSIGNAL = 0x4000;
    internal const int MSG_CMSG_CLOEXEC = 0x40000000;
    internal const short POLLOUT = 4;

    internal const int F_GET_SEALS = 1034;

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    internal static partial nint SendMsg(int fd, msghdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    internal static partial nint RecvMsg(int fd, msghdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    internal static partial int Fcntl(int fd, int command);

    /// <summary>sys/uio.h's struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
#pragma warning disable CS8981
    internal struct iovec
#pragma warning restore CS8981
    {
        public void* iov_base;
        public nuint iov_len;
    }

    /// <summary>sys/socket.h's struct msghdr (x86-64: 56 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
#pragma warning disable CS8981 // the kernel's name, as the kvm_* structs keep theirs
    internal struct msghdr
#pragma warning restore CS8981
    {
        public void* msg_name;
        public uint msg_namelen;
        public iovec* msg_iov;
        public nuint msg_iovlen;
        public void* msg_control;
        public nuint msg_controllen;
        public int msg_flags;
    }

    /// <summary>sys/socket.h's struct cmsghdr, without its data (16 bytes; the data follows 8-byte aligned).</summary>
    [StructLayout(LayoutKind.Sequential)]
#pragma warning disable CS8981
    internal struct cmsghdr
#pragma warning restore CS8981
    {
        public nuint cmsg_len;
        public int cmsg_level;
        public int cmsg_type;
    }

    /// <summary>CMSG_LEN: the header plus <paramref name="data"/> bytes.</summary>
    internal static int CmsgLen(int data) => sizeof(cmsghdr) + data;

    /// <summary>CMSG_SPACE: CMSG_LEN rounded up to the 8-byte alignment the next header needs.</summary>
    internal static int CmsgSpace(int data) => sizeof(cmsghdr) + ((data + 7) & ~7);
}
