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
}
