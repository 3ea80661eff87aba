using System.Diagnostics;
using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests;

/// <summary>
/// Issue 2, acceptance 3: Debian's own kernel (the vmlinux inside the linux-image package) starts on
/// Tern and prints its banner, our command line and an e820 map that matches -m. On kvm_pvm a stock
/// kernel gets no further in reasonable time (docs/ARCHITECTURE.md, "This machine's KVM, and the test kernel"),
/// so the test stops there.
/// </summary>
public class LinuxBootTests
{
    private static string DebianVmlinux()
    {
        string target = Path.Combine(Repo.Root, "tests/guest/build/vmlinux-debian");
        if (File.Exists(target)) return target;
        var bzImage = Directory.GetFiles("/boot", "vmlinuz-*").OrderDescending().FirstOrDefault()
            ?? throw new InvalidOperationException("no /boot/vmlinuz-*: run ./test.sh, which installs linux-image-amd64");
        using var p = Process.Start("bash", [Path.Combine(Repo.Root, "scripts/extract-vmlinux.sh"), bzImage, target])!;
        p.WaitForExit();
        Assert.True(p.ExitCode == 0 && File.Exists(target), $"extracting vmlinux from {bzImage} failed");
        return target;
    }

    [KvmFact]
    public void Debian_vmlinux_prints_its_banner_our_command_line_and_the_e820_map_of_minus_m()
    {
        const string cmdline = "console=ttyS0 earlyprintk=serial tern.test=banner";
        using var tern = TernProcess.Start(["-machine", "q35", "-kernel", DebianVmlinux(), "-append", cmdline,
            "-m", "512M", "-smp", "2", "-serial", "stdio"]);

        // Linux runs its early boot in emulated ring 0 here: slow, and slower still on a busy 2-core machine.
        tern.WaitForLine(l => l.Contains("Linux version "), TimeSpan.FromSeconds(180));
        tern.WaitForLine(l => l.Contains($"Command line: {cmdline}"), TimeSpan.FromSeconds(30));
        tern.WaitForLine(l => l.Contains("BIOS-e820: [mem 0x0000000000100000-0x000000001fffffff] usable"), TimeSpan.FromSeconds(30));
        tern.WaitForLine(l => l.Contains("BIOS-e820: [mem 0x00000000b0000000-0x00000000bfffffff] reserved"), TimeSpan.FromSeconds(30));
        tern.WaitForLine(l => l.Contains("smpboot: Allowing 2 CPUs"), TimeSpan.FromSeconds(60));
    }
}
