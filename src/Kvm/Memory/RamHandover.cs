using System.Runtime.InteropServices;
using Tern.Kvm.Interop;

namespace Tern.Kvm.Memory;

/// <summary>
/// Hands shared guest RAM to another process on this host over a connected UNIX socket, instead
/// of copying it: the source sends one byte, <see cref="Marker"/>, carrying its RAM file's
/// descriptor as SCM_RIGHTS ancillary data; the destination receives it and maps that file in
/// place of its own RAM (<see cref="GuestMemory.Adopt"/>). From the moment the descriptor leaves,
/// both processes' RAM is the same pages, so neither ever punches them out of the file again.
/// The migration stream decides when this happens and what each side says about it; this class
/// only moves and checks the descriptor.
/// </summary>
public static class RamHandover
{
    /// <summary>The one data byte the descriptor travels with (a stream socket needs at least one).</summary>
    public const byte Marker = 0xFD;
    private const int MaxDescriptors = 8; // room to see (and close) more than the one that is wanted

    /// <summary>Sends this RAM's file descriptor; the socket is idle (everything written before was answered).</summary>
    public static unsafe void Send(SafeHandle socket, GuestMemory memory, TimeSpan timeout)
    {
        var file = memory.HandOverFile ?? throw new InvalidOperationException("guest RAM is not shared from an unnamed file");
        memory.KeepFileOnDiscard(); // before it leaves: from now on another process may own these pages
        byte marker = Marker;
        var iov = new Libc.iovec { iov_base = &marker, iov_len = 1 };
        int space = Libc.CmsgSpace(sizeof(int));
        byte* control = stackalloc byte[space];
        new Span<byte>(control, space).Clear();
        var header = (Libc.cmsghdr*)control;
        header->cmsg_len = (nuint)Libc.CmsgLen(sizeof(int));
        header->cmsg_level = Libc.SOL_SOCKET;
        header->cmsg_type = Libc.SCM_RIGHTS;
        using var lease = file.Borrow(); // held open until the kernel has taken its own reference in sendmsg
        *(int*)(control + sizeof(Libc.cmsghdr)) = lease.Number;
        var message = new Libc.msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = (nuint)space };
        // SAFETY: message, iov, marker and control live on this frame for the whole call.
        Transfer(socket, &message, send: true, timeout, "sendmsg of guest RAM's descriptor");
    }

    /// <summary>
    /// Receives the source's RAM descriptor and maps it as this RAM, after checking it against this
    /// RAM (<see cref="RamBackingFile.Adopt"/>). A refusal throws <see cref="GuestMemoryBackingException"/>
    /// with a one-line reason; a broken or silent socket, <see cref="KvmException"/> or <see cref="IOException"/>.
    /// </summary>
    public static unsafe void Receive(SafeHandle socket, GuestMemory memory, TimeSpan timeout)
    {
        var own = memory.HandOverFile ?? throw new GuestMemoryBackingException("guest RAM here is not shared (-machine mem-share=on)");
        byte marker = 0;
        var iov = new Libc.iovec { iov_base = &marker, iov_len = 1 };
        int space = Libc.CmsgSpace(MaxDescriptors * sizeof(int));
        byte* control = stackalloc byte[space];
        new Span<byte>(control, space).Clear();
        var message = new Libc.msghdr { msg_iov = &iov, msg_iovlen = 1, msg_control = control, msg_controllen = (nuint)space };
        // SAFETY: message, iov, marker and control live on this frame for the whole call.
        nint got = Transfer(socket, &message, send: false, timeout, "recvmsg of the source's guest RAM descriptor");
        var received = TakeDescriptors(control, message.msg_controllen);
        try
        {
            if (got == 0) throw new IOException("the source hung up before sending its guest RAM descriptor");
            if (marker != Marker) throw new GuestMemoryBackingException($"the source sent byte 0x{marker:x2} where its guest RAM descriptor was due");
            if ((message.msg_flags & Libc.MSG_CTRUNC) != 0 || received.Count != 1)
                throw new GuestMemoryBackingException($"the source sent {(received.Count == 0 ? "no" : received.Count.ToString())} descriptors with its guest RAM (expected 1)");
        }
        catch
        {
            foreach (var h in received) h.Dispose();
            throw;
        }
        memory.Adopt(RamBackingFile.Adopt(received[0], own));
    }

    /// <summary>Every SCM_RIGHTS descriptor in the control buffer, each owned at once so that none leaks.</summary>
    private static unsafe List<KvmHandle> TakeDescriptors(byte* control, nuint length)
    {
        var handles = new List<KvmHandle>();
        for (nuint at = 0; at + (nuint)sizeof(Libc.cmsghdr) <= length;)
        {
            var header = (Libc.cmsghdr*)(control + at);
            if (header->cmsg_len < (nuint)sizeof(Libc.cmsghdr) || at + header->cmsg_len > length) break;
            if (header->cmsg_level == Libc.SOL_SOCKET && header->cmsg_type == Libc.SCM_RIGHTS)
            {
                int count = (int)((header->cmsg_len - (nuint)sizeof(Libc.cmsghdr)) / sizeof(int));
                for (int i = 0; i < count; i++) handles.Add(new KvmHandle(((int*)(control + at + (nuint)sizeof(Libc.cmsghdr)))[i]));
            }
            at += (header->cmsg_len + 7) & ~(nuint)7;
        }
        return handles;
    }

    /// <summary>
    /// One sendmsg or recvmsg of <paramref name="message"/>. The socket may be non-blocking (.NET
    /// sets it so once it has been used asynchronously): then wait with poll, up to
    /// <paramref name="timeout"/> in all, and call again.
    /// </summary>
    private static unsafe nint Transfer(SafeHandle socket, Libc.msghdr* message, bool send, TimeSpan timeout, string name)
    {
        bool added = false;
        try
        {
            socket.DangerousAddRef(ref added); // the socket must not close (and its number be reused) mid-call
            int fd = (int)socket.DangerousGetHandle();
            long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            while (true)
            {
                nint n = send
                    ? Libc.SendMsg(fd, message, Libc.MSG_NOSIGNAL | Libc.MSG_DONTWAIT)
                    : Libc.RecvMsg(fd, message, Libc.MSG_DONTWAIT | Libc.MSG_CMSG_CLOEXEC);
                if (n >= 0) return n;
                int errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EAGAIN && errno != Errno.EINTR) throw new KvmException(errno, name);
                long left = deadline - Environment.TickCount64;
                if (left <= 0) throw new IOException($"{name} timed out after {timeout.TotalSeconds:F0} s");
                var poll = new Libc.PollFd { Fd = fd, Events = send ? Libc.POLLOUT : Libc.POLLIN };
                Libc.Poll(&poll, 1, (int)Math.Min(left, int.MaxValue));
            }
        }
        finally
        {
            if (added) socket.DangerousRelease();
        }
    }
}
