using System.Diagnostics;
using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests;

/// <summary>
/// Issue 15, finding 4: disk images are locked as QEMU locks them, so two processes (Tern or QEMU)
/// never both write one image: a second writer, or a writer meeting a reader, stops at start with
/// one line naming the image and who holds it.
/// </summary>
public sealed class ImageLockTests : IDisposable
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(60);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string[] Vm(string disk, bool readOnly, string append = "mode=ticks tick_ms=100") =>
        ["-machine", "q35", "-kernel", Repo.TestKernel, "-append", append, "-m", "64M", "-serial", "stdio",
         "-drive", $"file={disk},id=d0,readonly={(readOnly ? "on" : "off")},direct=off",
         "-device", "virtio-blk-pci,drive=d0,id=d0,bus=pcie.0,addr=2"];

    /// <summary>A tern whose guest ticks: its machine, disks and locks are built by then.</summary>
    private static TernProcess Running(string disk, bool readOnly)
    {
        var p = TernProcess.Start(Vm(disk, readOnly));
        p.WaitForLine("TICK 1", Long);
        return p;
    }

    private static void AssertRefused(TernResult r, string expected)
    {
        Assert.True(r.ExitCode == 1, r.Output);
        Assert.Equal(expected, r.Stderr.TrimEnd('\n'));
        Assert.DoesNotContain(r.Stdout, l => l.StartsWith("TICK", StringComparison.Ordinal) || l.StartsWith("BLK", StringComparison.Ordinal));
    }

    [KvmFact]
    public void A_second_writer_on_the_same_drive_exits_1_naming_the_image_and_the_first_tern()
    {
        var disk = _dir.Disk("rw.img", 4 << 20);
        using var first = Running(disk, readOnly: false);

        var second = TernProcess.Run(Vm(disk, readOnly: false));

        AssertRefused(second, $"tern: drive 'd0': failed to get \"write\" lock on {disk}: held by tern (pid {first.Id})");
        Assert.False(first.HasExited);
    }

    [KvmFact]
    public void Two_readers_share_the_image_and_together_keep_a_writer_out()
    {
        var disk = _dir.Disk("ro.img", 4 << 20, "SHARED-READ-ONLY");
        using var first = Running(disk, readOnly: true);

        var second = TernProcess.Run(Vm(disk, readOnly: true, append: "mode=blk then=poweroff"));
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains(second.Stdout, l => l.StartsWith("BLK dev=2 read sector=0 ", StringComparison.Ordinal) && l.Contains("SHARED-READ-ONLY"));

        var writer = TernProcess.Run(Vm(disk, readOnly: false));
        AssertRefused(writer, $"tern: drive 'd0': failed to get \"write\" lock on {disk}: held by tern (pid {first.Id})");
    }

    [KvmFact]
    public void A_reader_meeting_a_writer_is_refused_too()
    {
        var disk = _dir.Disk("rw.img", 4 << 20);
        using var writer = Running(disk, readOnly: false);

        var reader = TernProcess.Run(Vm(disk, readOnly: true));

        AssertRefused(reader, $"tern: drive 'd0': failed to get shared \"write\" lock on {disk}: held by tern (pid {writer.Id})");
    }

    [KvmWithFact(KvmWithFactAttribute.Qemu)]
    public void Qemu_holding_the_image_keeps_tern_out_and_tern_holding_it_keeps_qemu_out()
    {
        var disk = _dir.Disk("qemu.img", 4 << 20);
        var qemu = TiedChildProcess.Start(QemuInfo(disk));
        try
        {
            WaitForLocks(qemu);
            var tern = TernProcess.Run(Vm(disk, readOnly: false));
            AssertRefused(tern, $"tern: drive 'd0': failed to get \"write\" lock on {disk}: held by qemu-system-x86 (pid {qemu.Id})");
        }
        finally
        {
            qemu.Kill();
            qemu.WaitForExit();
            qemu.Dispose();
        }

        using var running = Running(disk, readOnly: false);
        var refused = RunQemu(disk);
        Assert.True(refused.ExitCode == 1, refused.Stderr);
        Assert.Contains("Failed to get \"write\" lock", refused.Stderr);
    }

    /// <summary>Returns once QEMU holds its locks on the image.</summary>
    private static void WaitForLocks(Process qemu)
    {
        var deadline = DateTime.UtcNow + Long;
        while (!HoldsLocks(qemu.Id))
        {
            if (qemu.HasExited) throw new InvalidOperationException($"QEMU exited: {qemu.StandardError.ReadToEnd()}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException("QEMU took no lock on the image");
            Thread.Sleep(50);
        }
    }

    private static (int ExitCode, string Stderr) RunQemu(string disk)
    {
        using var qemu = TiedChildProcess.Start(QemuInfo(disk));
        if (!qemu.WaitForExit(Long)) qemu.Kill();
        return (qemu.ExitCode, qemu.StandardError.ReadToEnd());
    }

    /// <summary>QEMU with the image on a virtio-blk device, as QEMU users write it; its vCPUs never start.</summary>
    private static ProcessStartInfo QemuInfo(string disk)
    {
        var info = new ProcessStartInfo(KvmWithFactAttribute.Qemu) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-machine", "q35", "-S", "-display", "none", "-nodefaults",
                     "-drive", $"file={disk},format=raw,if=none,id=d0", "-device", "virtio-blk-pci,drive=d0" })
            info.ArgumentList.Add(a);
        return info;
    }

    private static bool HoldsLocks(int pid)
    {
        try
        {
            return Directory.EnumerateFiles($"/proc/{pid}/fdinfo").Any(f => File.ReadAllText(f).Contains("lock:", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
