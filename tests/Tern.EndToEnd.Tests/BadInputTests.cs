using Tern.EndToEnd.Tests.Support;

namespace Tern.EndToEnd.Tests;

/// <summary>Issue 2, bad input: each mistake is one line naming the culprit, exit code 1, nothing left behind.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string[] Base(params string[] extra) => WithMemory("256M", extra);

    private string[] WithMemory(string memory, params string[] extra) =>
        ["-machine", "q35", "-kernel", Repo.TestKernel, "-m", memory, "-serial", $"file:{_dir.File("serial.log")}",
         "-qmp", $"unix:{_dir.File("qmp.sock")},server,nowait", .. extra];

    private void AssertRefused(string[] args, params string[] culprits)
    {
        var r = TernProcess.Run(args, TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 1, $"expected exit 1\n{r.Output}");
        var errorLines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(errorLines);
        Assert.StartsWith("tern: ", errorLines[0]);
        foreach (var c in culprits) Assert.Contains(c, errorLines[0]);
        Assert.False(File.Exists(_dir.File("serial.log")), "the serial file was left behind");
        Assert.False(File.Exists(_dir.File("qmp.sock")), "the QMP socket was left behind");
    }

    [Fact]
    public void Unknown_option() => AssertRefused(Base("-frobnicate", "1"), "-frobnicate");

    [Fact]
    public void Unknown_device() => AssertRefused(Base("-device", "virtio-gpu-pci,id=g"), "virtio-gpu-pci");

    [Fact]
    public void Unknown_machine() => AssertRefused(["-machine", "virt", "-kernel", Repo.TestKernel], "virt");

    [Fact]
    public void Missing_kernel() => AssertRefused(["-machine", "q35", "-kernel", _dir.File("nope.elf")], "nope.elf");

    [Fact]
    public void Missing_initrd() => AssertRefused(Base("-initrd", _dir.File("initrd.img")), "initrd.img");

    [Fact]
    public void Missing_drive_file() => AssertRefused(Base("-drive", $"file={_dir.File("gone.img")},id=d0",
        "-device", "virtio-blk-pci,drive=d0,id=d0,bus=pcie.0,addr=2"), "gone.img");

    [KvmFact]
    public void Kernel_that_is_neither_elf_nor_bzimage()
    {
        string bogus = _dir.File("kernel.txt");
        File.WriteAllText(bogus, "this is not a kernel, just some text that is long enough to look at\n");
        AssertRefused(["-machine", "q35", "-kernel", bogus, "-m", "256M", "-serial", $"file:{_dir.File("serial.log")}",
            "-qmp", $"unix:{_dir.File("qmp.sock")},server,nowait"], "kernel.txt", "neither");
    }

    [Fact]
    public void Duplicate_drive_ids()
    {
        var disk = _dir.Disk("a.img", 1 << 20);
        AssertRefused(Base("-drive", $"file={disk},id=d0", "-drive", $"file={disk},id=d0"), "d0");
    }

    [Fact]
    public void Duplicate_device_ids()
    {
        var a = _dir.Disk("a.img", 1 << 20);
        var b = _dir.Disk("b.img", 1 << 20);
        AssertRefused(Base("-drive", $"file={a},id=a", "-drive", $"file={b},id=b",
            "-device", "virtio-blk-pci,drive=a,id=disk,bus=pcie.0,addr=2", "-device", "virtio-blk-pci,drive=b,id=disk,bus=pcie.0,addr=3"), "disk");
    }

    [Fact]
    public void Device_naming_no_drive() =>
        AssertRefused(Base("-device", "virtio-blk-pci,drive=missing,id=disk,bus=pcie.0,addr=2"), "missing");

    [Fact]
    public void Two_devices_on_one_addr()
    {
        var a = _dir.Disk("a.img", 1 << 20);
        var b = _dir.Disk("b.img", 1 << 20);
        AssertRefused(Base("-drive", $"file={a},id=a", "-drive", $"file={b},id=b",
            "-device", "virtio-blk-pci,drive=a,id=da,bus=pcie.0,addr=4", "-device", "virtio-blk-pci,drive=b,id=db,bus=pcie.0,addr=4"), "addr");
    }

    [Fact]
    public void Memory_too_small() => AssertRefused(WithMemory("8M"), "8M");

    /// <summary>Issue 16: each limit VmConfig.Problems holds stops the tern executable, worded in its option.</summary>
    [Theory]
    [InlineData("-smp", "255", "'cpus=255' in -smp is out of range 1..254")]
    [InlineData("-smp", "2,maxcpus=255", "-smp maxcpus 255 is out of range 2..254")]
    [InlineData("-smp", "4,sockets=3", "-smp '4,sockets=3': sockets*dies*clusters*cores*threads (3*1*1*1*1) must equal maxcpus 4")]
    public void A_limit_of_the_vm_config(string option, string value, string message) => AssertRefused(Base(option, value), message);

    [Fact]
    public void Memory_not_whole_pages() => AssertRefused(WithMemory("32769K"), "memory size '32769K' (33555456 bytes) is not a multiple of 4K");

    [Fact]
    public void Append_longer_than_the_kernel_takes() =>
        AssertRefused(Base("-append", new string('x', 3000)), "-append command line is 3000 bytes, more than 2047");

    /// <summary>Issue 15: this was "unknown option '-5'".</summary>
    [Fact]
    public void Negative_memory_is_a_bad_size() => AssertRefused(WithMemory("-5"), "bad memory size '-5'");

    [Fact]
    public void Memory_larger_than_the_host_can_back() => AssertRefused(WithMemory("2000G"), "2000G", "host");

    /// <summary>Issue 15: opening a directory as the serial file crashed with an unhandled exception (rc 134).</summary>
    [Fact]
    public void Serial_file_that_is_a_directory() =>
        AssertRefused(["-machine", "q35", "-kernel", Repo.TestKernel, "-serial", $"file:{_dir.Path}"], $"'{_dir.Path}'", "not a regular file");

    /// <summary>Issue 15: a file where the migration socket should go was deleted to make room for it.</summary>
    [Fact]
    public void Incoming_socket_path_that_is_a_regular_file_is_refused_and_kept()
    {
        string precious = _dir.Disk("precious.img", 4096);
        AssertRefused(Base("-incoming", $"unix:{precious}"), precious, "not a socket");
        Assert.True(File.Exists(precious));
    }
}
