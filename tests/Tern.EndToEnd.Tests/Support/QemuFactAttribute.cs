namespace Tern.EndToEnd.Tests.Support;

/// <summary>An end-to-end test that runs QEMU beside tern: skipped, with the reason shown, without /dev/kvm or qemu-system-x86_64.</summary>
public sealed class QemuFactAttribute : FactAttribute
{
    public const string Qemu = "qemu-system-x86_64";

    public QemuFactAttribute()
    {
        if (!File.Exists("/dev/kvm")) Skip = "/dev/kvm is not available on this machine";
        else if (!OnPath(Qemu)) Skip = $"{Qemu} is not installed (scripts/install-test-deps.sh installs it)";
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));
}
