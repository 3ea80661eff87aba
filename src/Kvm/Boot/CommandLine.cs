using System.Text;
using Tern.Kvm.Arch;
using Tern.Kvm.Memory;

namespace Tern.Kvm.Boot;

/// <summary>The kernel command line, NUL-terminated at <see cref="MemoryLayout.CmdlineAddress"/>.</summary>
internal static class CommandLine
{
    /// <summary>Writes the command line and returns its length in bytes (without the NUL).</summary>
    public static int Write(GuestMemory memory, string cmdline, int kernelLimit)
    {
        var bytes = Encoding.UTF8.GetBytes(cmdline);
        if (bytes.Contains((byte)0)) throw new BootException("the kernel command line contains a NUL character");
        int limit = Math.Min(kernelLimit, BootLimits.MaxCmdlineBytes);
        if (bytes.Length > limit)
            throw new BootException($"the kernel command line is {bytes.Length} bytes long, above the limit of {limit}");
        var area = memory.WriteSpan(MemoryLayout.CmdlineAddress, bytes.Length + 1);
        bytes.CopyTo(area);
        area[^1] = 0;
        return bytes.Length;
    }
}
