using Tern.Kvm.Sandbox;

namespace Tern.Kvm.Tests.Sandbox;

/// <summary>
/// The probes a sandbox is tested with. Entering a sandbox is for good, so that is tested in a VM
/// process of its own (tests/Tern.EndToEnd.Tests/Cluster/VmSandboxTests.cs), not in the test runner.
/// </summary>
public sealed class ProcessSandboxTests
{
    [Fact]
    public void An_attempted_call_returns_its_errno_or_zero()
    {
        Assert.Equal(0, ProcessSandbox.Attempt(Syscall.getpid));
        Assert.Equal(14, ProcessSandbox.Attempt(Syscall.uname)); // EFAULT: a null buffer
    }

    [Fact]
    public void An_attempted_open_returns_its_errno_or_zero()
    {
        Assert.Equal(0, ProcessSandbox.AttemptOpen("/proc/self/status"));
        Assert.Equal(2, ProcessSandbox.AttemptOpen("/nonexistent/tern")); // ENOENT
    }
}
