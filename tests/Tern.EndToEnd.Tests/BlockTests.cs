using System.Text;
using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests;

/// <summary>Issue 2, acceptance 2: virtio-blk-pci disks as StratoVirt spells them, checked from inside the guest.</summary>
public class BlockTests
{
    private const string Pattern = "TERN-DISK-PATTERN-0123456789abcd";

    private static string[] Args(params string[] disks) =>
        ["-machine", "q35", "-kernel", Repo.TestKernel, "-append", "mode=blk then=poweroff", "-m", "256M", "-smp", "2", "-serial", "stdio", .. disks];

    private static string Sector(string path, int sector)
    {
        using var f = File.OpenRead(path);
        var buffer = new byte[512];
        f.Position = sector * 512L;
        f.ReadExactly(buffer);
        return Encoding.Latin1.GetString(buffer);
    }

    [KvmFact]
    public void Guest_reads_the_pattern_and_its_write_is_in_the_host_file_with_the_seed_line()
    {
        using var dir = new TempDir();
        var disk = dir.Disk("rootfs.img", 16 << 20, Pattern);

        var r = TernProcess.Run(Args("-drive", $"file={disk},id=rootfs,readonly=off,direct=off",
            "-device", "virtio-blk-pci,drive=rootfs,id=rootfs,bus=pcie.0,addr=0"));

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains("BLK dev=0 capacity=32768 ro=0", r.Stdout);
        Assert.Contains($"BLK dev=0 read sector=0 crc=0x{Crc32.Of(Sector(disk, 0)):x8} head=\"{Pattern}\"", r.Stdout);
        Assert.Contains("BLK dev=0 write sector=1 status=0", r.Stdout);
        Assert.Contains("BLK dev=0 verify=ok", r.Stdout);
        Assert.StartsWith("TERN-BLK-WRITE slot=0\n", Sector(disk, 1));
    }

    [KvmFact]
    public void A_readonly_drive_refuses_the_guest_write_and_the_file_is_unchanged()
    {
        using var dir = new TempDir();
        var disk = dir.Disk("ro.img", 1 << 20, Pattern);

        var r = TernProcess.Run(Args("-drive", $"file={disk},id=ro,readonly=on",
            "-device", "virtio-blk-pci,drive=ro,id=ro,bus=pcie.0,addr=2,serial=RO-DISK"));

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains("BLK dev=2 capacity=2048 ro=1", r.Stdout);
        Assert.Contains("BLK dev=2 serial=\"RO-DISK\"", r.Stdout);
        Assert.Contains("BLK dev=2 write sector=1 status=1", r.Stdout);
        Assert.Equal(new string('\0', 512), Sector(disk, 1));
    }

    [KvmFact]
    public void Two_disks_at_different_addrs_both_work_one_of_them_with_o_direct()
    {
        using var dir = new TempDir();
        var a = dir.Disk("a.img", 4 << 20, Pattern);
        var b = dir.Disk("b.img", 8 << 20, "SECOND-DISK");

        var r = TernProcess.Run(Args(
            "-drive", $"file={a},id=a,readonly=off,direct=off", "-device", "virtio-blk-pci,drive=a,id=blk-a,bus=pcie.0,addr=3",
            "-drive", $"file={b},id=b,readonly=off,direct=on", "-device", "virtio-blk-pci,drive=b,id=blk-b,bus=pcie.0,addr=0x5"));

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.Contains("BLK devices=2", r.Stdout);
        Assert.Contains("BLK dev=3 verify=ok", r.Stdout);
        Assert.Contains("BLK dev=5 verify=ok", r.Stdout);
        Assert.Contains(r.Stdout, l => l.StartsWith("BLK dev=5 read sector=0 ", StringComparison.Ordinal) && l.Contains("head=\"SECOND-DISK....."));
        Assert.StartsWith("TERN-BLK-WRITE slot=3\n", Sector(a, 1));
        Assert.StartsWith("TERN-BLK-WRITE slot=5\n", Sector(b, 1));
    }
}
