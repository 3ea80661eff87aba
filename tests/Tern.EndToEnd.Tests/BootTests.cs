using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests;

/// <summary>Issue 2, acceptance 1: the test kernel boots through each entry with the tables Tern built.</summary>
public class BootTests
{
    private static string[] Args(string kernel, string memory, int smp, string append) =>
        ["-machine", "q35", "-kernel", kernel, "-append", append, "-m", memory, "-smp", smp.ToString(), "-serial", "stdio"];

    [KvmFact]
    public void Test_kernel_boots_through_pvh_finds_two_cpus_and_the_512M_memory_map()
    {
        var r = TernProcess.Run(Args(Repo.TestKernel, "512M", 2, "mode=ticks ticks=3 then=poweroff"));

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains("TERN-TEST boot=pvh cmdline=\"mode=ticks ticks=3 then=poweroff\"", r.Stdout);
        Assert.Contains("CPUS madt=2 mptable=2", r.Stdout);
        Assert.Equal(
            [(0UL, 0x9fc00UL, 1), (0x9fc00, 0x400, 2), (0xe0000, 0x20000, 2), (0x100000, (512UL << 20) - 0x100000, 1), (0xb0000000, 0x10000000, 2)],
            TestKernel.E820(r.Stdout));
        Assert.Equal([1, 2, 3], TestKernel.Ticks(r.Stdout));
        Assert.Equal("POWEROFF", r.Stdout[^1]);
    }

    [KvmFact]
    public void Test_kernel_boots_through_the_64bit_entry_when_the_elf_has_no_pvh_note()
    {
        var r = TernProcess.Run(Args(Repo.TestKernelNoPvh, "512M", 2, "mode=ticks ticks=2 then=poweroff"));

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains(r.Stdout, l => l.StartsWith("TERN-TEST boot=linux64 ", StringComparison.Ordinal));
        Assert.Contains("CPUS madt=2 mptable=2", r.Stdout);
        Assert.Equal([1, 2], TestKernel.Ticks(r.Stdout));
    }

    [KvmFact]
    public void Five_gigabytes_put_ram_above_4G_and_one_cpu_is_one_cpu()
    {
        foreach (var kernel in new[] { Repo.TestKernel, Repo.TestKernelNoPvh })
        {
            var r = TernProcess.Run(Args(kernel, "5G", 1, "mode=fill mib=64 then=poweroff"));

            Assert.True(r.ExitCode == 0, r.Output);
            Assert.Contains("CPUS madt=1 mptable=1", r.Stdout);
            var e820 = TestKernel.E820(r.Stdout);
            Assert.Contains((0x100000UL, 0xb0000000UL - 0x100000, 1), e820);
            Assert.Contains((0x1_0000_0000UL, (5UL << 30) - 0xb0000000, 1), e820);
            Assert.Contains(r.Stdout, l => l.StartsWith("FILL mib=64 checksum=0x", StringComparison.Ordinal));
        }
    }

    /// <summary>Issue 15: beyond the MP table's 40 vCPUs the board used to crash at boot; the MADT alone describes them.</summary>
    [KvmFact]
    public void Sixty_four_vcpus_boot_with_the_madt_alone_describing_them()
    {
        var r = TernProcess.Run(Args(Repo.TestKernel, "256M", 64, "mode=ticks ticks=2 then=poweroff"));

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains("CPUS madt=64 mptable=0", r.Stdout);
        Assert.Equal([1, 2], TestKernel.Ticks(r.Stdout));
    }

    [KvmFact]
    public void The_repo_launcher_builds_and_runs_tern_with_the_stratovirt_line()
    {
        var r = TernProcess.Run(Args(Repo.TestKernel, "512M", 2, "mode=ticks ticks=2 then=poweroff"),
            TimeSpan.FromMinutes(5), executable: Path.Combine(Repo.Root, "tern"));

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Equal([1, 2], TestKernel.Ticks(r.Stdout));
    }
}
