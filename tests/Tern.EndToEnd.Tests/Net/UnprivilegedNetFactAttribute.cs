namespace Tern.EndToEnd.Tests.Net;

/// <summary>
/// A <see cref="NetFactAttribute"/> test that runs tern as user nobody with the group that owns
/// /dev/kvm (Debian's udev rule: root:kvm, mode 0660): skipped, with the reason, on a machine
/// where /dev/kvm grants no group access, since nobody could not use KVM there at all.
/// </summary>
public sealed class UnprivilegedNetFactAttribute : FactAttribute
{
    public UnprivilegedNetFactAttribute()
    {
        Skip = new NetFactAttribute().Skip;
        if (Skip is null && KvmGroup is null) Skip = "/dev/kvm grants no group read and write access here (it needs a kvm group, as Debian's udev rule makes)";
    }

    /// <summary>The group that owns /dev/kvm when it may read and write it, else null.</summary>
    public static string? KvmGroup
    {
        get
        {
            var mode = File.GetUnixFileMode("/dev/kvm");
            if (!mode.HasFlag(UnixFileMode.GroupRead) || !mode.HasFlag(UnixFileMode.GroupWrite)) return null;
            using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%G", "/dev/kvm"]) { RedirectStandardOutput = true })!;
            string group = stat.StandardOutput.ReadToEnd().Trim();
            stat.WaitForExit();
            return group is "" or "root" ? null : group;
        }
    }
}
