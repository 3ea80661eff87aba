using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests;

/// <summary>Issue 2, acceptance 4: how the guest ends decides the exit code.</summary>
public class PowerTests
{
    private static TernResult Boot(string then) => TernProcess.Run(
        ["-machine", "q35", "-kernel", Repo.TestKernel, "-append", $"mode=idle then={then}", "-m", "256M", "-serial", "stdio"]);

    [KvmFact]
    public void Acpi_power_off_ends_the_process_with_exit_0()
    {
        var r = Boot("poweroff");
        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Equal("POWEROFF", r.Stdout[^1]);
    }

    [KvmFact]
    public void Keyboard_controller_reboot_ends_the_process_with_exit_0()
    {
        var r = Boot("reboot");
        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Equal("REBOOT", r.Stdout[^1]);
    }

    [KvmFact]
    public void A_triple_fault_ends_the_process_with_exit_1_naming_the_vcpu()
    {
        var r = Boot("triplefault");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("TRIPLEFAULT", r.Stdout[^1]);
        Assert.Contains("vCPU 0", r.Stderr);
        Assert.Contains("triple fault", r.Stderr);
    }
}
