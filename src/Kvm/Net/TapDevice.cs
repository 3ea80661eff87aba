using System.Runtime.InteropServices;
using System.Text;
using Tern.Kvm.Interop;

namespace Tern.Kvm.Net;

/// <summary>
/// A TAP interface opened through /dev/net/tun (IFF_TAP | IFF_NO_PI: one read or write is one
/// Ethernet frame, no header), non-blocking so an I/O thread polls it. Opening a name that does
/// not exist creates the TAP and sets it up; the kernel removes such a TAP when its last file
/// descriptor closes, so a TAP Tern created goes away when Tern exits, however it exits.
/// </summary>
public sealed class TapDevice : PollSource
{
    /// <summary>The largest frame a TAP can carry (MTU 65535 plus the Ethernet header).</summary>
    public const int MaxFrame = 65535 + 14;

    private readonly KvmHandle _handle;

    private TapDevice(KvmHandle handle, string name, bool created)
    {
        _handle = handle;
        Name = name;
        Created = created;
    }

    public string Name { get; }

    /// <summary>True when this process created the interface (it disappears when closed).</summary>
    public bool Created { get; }

    internal override KvmHandle Handle => _handle;

    /// <summary>Opens (or creates) TAP <paramref name="name"/>; throws <see cref="TapException"/> saying what failed.</summary>
    public static unsafe TapDevice Open(string name)
    {
        byte[] nameBytes = Encoding.ASCII.GetBytes(name);
        if (name.Length == 0 || nameBytes.Length >= Libc.IFNAMSIZ || name.Contains('/') || name.Any(char.IsWhiteSpace))
            throw new TapException(22, $"'{name}' is not a valid interface name (1..{Libc.IFNAMSIZ - 1} characters, no '/' or spaces)");
        bool existed = Directory.Exists($"/sys/class/net/{name}");

        int fd = Libc.Open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new TapException(errno, $"cannot open /dev/net/tun: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        var handle = new KvmHandle(fd);
        try
        {
            var request = new Libc.IfReqFlags { Flags = Libc.IFF_TAP | Libc.IFF_NO_PI };
            nameBytes.CopyTo(new Span<byte>(request.Name, Libc.IFNAMSIZ));
            // SAFETY: request is a 40-byte struct ifreq on this stack frame; TUNSETIFF reads and writes only that.
            if (handle.TryIoctl(Libc.TUNSETIFF, &request) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new TapException(errno, SetIffFailure(name, existed, errno));
            }
            if (!existed) SetUp(name);
            return new TapDevice(handle, name, created: !existed);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static string SetIffFailure(string name, bool existed, int errno)
    {
        string why = Marshal.GetPInvokeErrorMessage(errno);
        return errno switch
        {
            1 or 13 when existed => $"no permission to use TAP '{name}' ({why}): it belongs to another user, or needs CAP_NET_ADMIN",
            1 or 13 => $"no permission to create TAP '{name}' ({why}): needs CAP_NET_ADMIN, or create it first with 'ip tuntap add {name} mode tap user USER'",
            16 => $"TAP '{name}' is in use by another process",
            22 when existed => $"interface '{name}' exists and is not a TAP",
            _ => $"cannot open TAP '{name}': {why}",
        };
    }

    /// <summary>Brings a TAP this process created up, as `ip link set NAME up` would.</summary>
    internal static void SetUp(string name) => SetLink(name, up: true);

    /// <summary>Sets a TAP up or down, as `ip link set NAME up|down` would: a bridge forwards nothing to a port that is down.</summary>
    internal static unsafe void SetLink(string name, bool up)
    {
        string what = up ? "up" : "down";
        int sock = Libc.Socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (sock < 0) throw new TapException(Marshal.GetLastPInvokeError(), $"cannot set TAP '{name}' {what}: no socket");
        using var socket = new KvmHandle(sock);
        var request = new Libc.IfReqFlags();
        Encoding.ASCII.GetBytes(name).CopyTo(new Span<byte>(request.Name, Libc.IFNAMSIZ));
        // SAFETY: request is a struct ifreq on this stack frame; both ioctls touch only its name and flags.
        bool ok = socket.TryIoctl(Libc.SIOCGIFFLAGS, &request) >= 0;
        request.Flags = up ? (short)(request.Flags | Libc.IFF_UP) : (short)(request.Flags & ~Libc.IFF_UP);
        // SAFETY: as above.
        ok = ok && socket.TryIoctl(Libc.SIOCSIFFLAGS, &request) >= 0;
        if (!ok)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new TapException(errno, $"cannot set TAP '{name}' {what}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
    }

    /// <summary>Reads one frame into <paramref name="frame"/>; returns its length, or 0 when none is waiting.</summary>
    public unsafe int Receive(Span<byte> frame)
    {
        fixed (byte* p = frame)
        {
            // SAFETY: p points to frame.Length pinned bytes for the call.
            nint n = Transfer(p, frame.Length, write: false);
            if (n >= 0) return (int)n;
            if (-n == Errno.EAGAIN) return 0;
            throw new KvmException((int)-n, $"read from TAP {Name}");
        }
    }

    /// <summary>Writes one frame; false when the TAP refused it (it is then dropped, as a full link would).</summary>
    public unsafe bool Send(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
            // SAFETY: p points to frame.Length pinned bytes; write only reads them.
            return Transfer(p, frame.Length, write: true) == frame.Length;
    }

    /// <summary>One read or write of a whole frame, retried on EINTR; the byte count, or -errno.</summary>
    private unsafe nint Transfer(byte* p, int length, bool write)
    {
        using var fd = _handle.Borrow();
        while (true)
        {
            // SAFETY: callers pass `length` pinned bytes at p.
            nint n = write ? Libc.Write(fd.Number, p, (nuint)length) : Libc.Read(fd.Number, p, (nuint)length);
            if (n >= 0) return n;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR) return -errno;
        }
    }

    public override void Dispose() => _handle.Dispose();
}
