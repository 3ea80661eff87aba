using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Tern.Bench;

/// <summary>What the figures were measured on, read from /proc and /sys.</summary>
public sealed record MachineFacts(string CpuModel, int Cores, string Kernel, string KvmModules, string HostMemory,
    string TransparentHugePages, string QemuVersion, string DotnetRuntime)
{
    public static MachineFacts Read(string qemu) => new(
        CpuModel: FirstValue("/proc/cpuinfo", "model name") ?? "unknown",
        Cores: Environment.ProcessorCount,
        Kernel: ReadTrimmed("/proc/sys/kernel/osrelease") ?? "unknown",
        KvmModules: ListKvmModules(),
        HostMemory: GiB(FirstValue("/proc/meminfo", "MemTotal")),
        TransparentHugePages: ReadTrimmed("/sys/kernel/mm/transparent_hugepage/enabled") ?? "unknown",
        QemuVersion: FirstOutputLine(qemu, "--version") ?? "unknown",
        DotnetRuntime: RuntimeInformation.FrameworkDescription);

    /// <summary>Which KVM implementation backs /dev/kvm: the kvm_* modules present in /sys/module.</summary>
    private static string ListKvmModules()
    {
        var names = Directory.Exists("/sys/module")
            ? Directory.GetDirectories("/sys/module", "kvm*").Select(Path.GetFileName).OfType<string>().Order().ToArray()
            : [];
        return names.Length > 0 ? string.Join(", ", names) : "none";
    }

    private static string? FirstValue(string file, string key)
    {
        if (!File.Exists(file)) return null;
        foreach (var line in File.ReadLines(file))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim() == key) return line[(colon + 1)..].Trim();
        }
        return null;
    }

    private static string GiB(string? kb) =>
        long.TryParse(kb?.Split(' ')[0], out long v) ? $"{v / 1048576.0:F1} GiB" : "unknown";

    private static string? ReadTrimmed(string file) => File.Exists(file) ? File.ReadAllText(file).Trim() : null;

    private static string? FirstOutputLine(string executable, string argument)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(executable, argument) { RedirectStandardOutput = true, UseShellExecute = false });
            string? line = p?.StandardOutput.ReadLine();
            p?.WaitForExit();
            return line;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
