using System.Runtime.InteropServices;
using Tern.Kvm.Interop;

namespace Tern.Kvm.Tests;

public class KvmHandleTests
{
    [Fact]
    public void Fd_zero_is_a_descriptor_not_an_invalid_handle()
    {
        var handle = new KvmHandle(0);
        Assert.False(handle.IsInvalid);
        handle.SetHandleAsInvalid(); // fd 0 is this process's stdin: never close it
    }

    [Fact]
    public void An_ioctl_after_dispose_throws_instead_of_reaching_a_reused_fd()
    {
        var handle = new KvmHandle(Errno.Check(Libc.EventFd(0, 0), "eventfd"));
        handle.Dispose();
        Assert.Throws<ObjectDisposedException>(() => handle.TryIoctl(0, 0));
    }

    [Fact]
    public void Borrowing_the_fd_after_dispose_throws_instead_of_handing_out_a_stale_number()
    {
        var handle = new KvmHandle(Errno.Check(Libc.EventFd(0, 0), "eventfd"));
        handle.Dispose();
        Assert.Throws<ObjectDisposedException>(() => { using var fd = handle.Borrow(); });
    }

    [Fact]
    public void A_disposed_eventfd_refuses_to_signal_rather_than_write_to_the_file_that_reused_its_number()
    {
        var stale = new EventFd(nonBlocking: true);
        stale.Dispose();
        using var reuser = new EventFd(nonBlocking: true); // the kernel hands out the lowest free number: most likely stale's

        Assert.Throws<ObjectDisposedException>(stale.Signal);
        Assert.Equal(0ul, reuser.Consume());
    }

    [Fact]
    public void A_disposed_host_file_refuses_to_read()
    {
        string path = Path.GetTempFileName();
        try
        {
            var file = HostFile.Open(path, writable: false, direct: false);
            file.Dispose();
            Assert.Throws<ObjectDisposedException>(() => file.ReadAt(new byte[1], 0));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_dispose_during_a_borrowed_call_leaves_the_fd_open_until_the_call_ends()
    {
        var handle = new KvmHandle(Errno.Check(Libc.EventFd(0, 0), "eventfd"));
        using (var fd = handle.Borrow())
        {
            handle.Dispose(); // another thread's Dispose, mid-call
            Assert.Equal(8, Signal(fd.Number)); // still this eventfd, not closed under the call
        }
        Assert.Throws<ObjectDisposedException>(() => { using var fd = handle.Borrow(); });
    }

    [Fact]
    public unsafe void The_close_at_the_end_of_a_borrowed_call_keeps_the_call_s_errno()
    {
        var handle = new KvmHandle(Errno.Check(Libc.EventFd(0, Libc.EFD_NONBLOCK), "eventfd"));
        ulong value;
        using (var fd = handle.Borrow())
        {
            handle.Dispose();
            // SAFETY: reads 8 bytes into a local; the counter is zero, so it fails with EAGAIN.
            Assert.Equal(-1, Libc.Read(fd.Number, &value, 8));
        } // the last release closes the fd here
        Assert.Equal(Errno.EAGAIN, Marshal.GetLastPInvokeError());
    }

    private static unsafe nint Signal(int fd)
    {
        ulong one = 1;
        // SAFETY: writes 8 bytes from a local.
        return Libc.Write(fd, &one, 8);
    }
}
