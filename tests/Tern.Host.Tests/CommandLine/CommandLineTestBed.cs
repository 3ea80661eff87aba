using Tern.Devices.Config;
using Tern.Host.CommandLine;

namespace Tern.Host.Tests.CommandLine;

/// <summary>A host with a chosen amount of backable memory.</summary>
internal sealed class FakeHost(ulong backableBytes = 64UL << 30) : IHostFacts
{
    public ulong BackableMemoryBytes => backableBytes;
}

/// <summary>A temporary directory with a kernel, an initrd and two disk images, removed afterwards.</summary>
public abstract class CommandLineTestBed : IDisposable
{
    protected readonly string Dir;
    protected readonly string Kernel;
    protected readonly string Initrd;
    protected readonly string Disk;
    protected readonly string Disk2;
    private protected IHostFacts Host = new FakeHost();

    protected CommandLineTestBed()
    {
        Dir = Directory.CreateTempSubdirectory("tern-cmdline-").FullName;
        Kernel = Touch("vmlinux.bin");
        Initrd = Touch("initrd.img");
        Disk = Touch("rootfs.img");
        Disk2 = Touch("data.img");
    }

    public void Dispose()
    {
        foreach (var file in Directory.EnumerateFiles(Dir)) SetMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    protected string Touch(string name)
    {
        string path = Path.Combine(Dir, name);
        File.WriteAllBytes(path, new byte[4096]);
        return path;
    }

    protected string Fifo(string name)
    {
        string path = Path.Combine(Dir, name);
        if (mkfifo(path, 0x180) != 0) throw new IOException($"mkfifo {path} failed");
        return path;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(string path, uint mode);

    /// <summary>Parses <c>-kernel KERNEL</c> followed by <paramref name="args"/>.</summary>
    protected VmConfig Parse(params string[] args) => VmCommandLine.Parse(["-kernel", Kernel, .. args], Host);

    protected VmConfig ParseExactly(params string[] args) => VmCommandLine.Parse(args, Host);

    /// <summary>Asserts that <c>-kernel KERNEL args</c> fails with a one-line message containing every fragment.</summary>
    protected string Fails(string[] args, params string[] fragments) => FailsExactly(["-kernel", Kernel, .. args], fragments);

    protected string FailsExactly(string[] args, params string[] fragments)
    {
        var error = Assert.Throws<CommandLineException>(() => VmCommandLine.Parse(args, Host));
        Assert.DoesNotContain('\n', error.Message);
        foreach (var fragment in fragments) Assert.Contains(fragment, error.Message);
        return error.Message;
    }

    private static void SetMode(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows()) return;
        File.SetUnixFileMode(path, mode);
    }

    /// <summary>A path even root cannot read, or null when this host has none to offer.</summary>
    protected string? UnreadablePath()
    {
        if (Environment.UserName != "root")
        {
            string path = Touch("unreadable");
            SetMode(path, UnixFileMode.None);
            return path;
        }
        return File.Exists("/sys/bus/pci/rescan") ? "/sys/bus/pci/rescan" : null;  // sysfs write-only attribute
    }

    /// <summary>A readable file even root cannot open for writing, or null when there is none.</summary>
    protected string? UnwritablePath()
    {
        if (Environment.UserName != "root")
        {
            string path = Touch("readonly.img");
            SetMode(path, UnixFileMode.UserRead);
            return path;
        }
        return File.Exists("/sys/kernel/notes") ? "/sys/kernel/notes" : null;  // sysfs read-only attribute
    }
}
