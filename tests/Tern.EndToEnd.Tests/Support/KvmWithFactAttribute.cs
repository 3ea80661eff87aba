namespace Tern.EndToEnd.Tests.Support;

/// <summary>
/// An end-to-end test that runs another program beside tern (QEMU, python3): skipped, with the
/// reason shown, without /dev/kvm or without the program on PATH.
/// </summary>
public sealed class KvmWithFactAttribute : FactAttribute
{
    public const string Qemu = "qemu-system-x86_64";

    public KvmWithFactAttribute(string program)
    {
        if (KvmFactAttribute.SkipReason is { } noKvm) Skip = noKvm;
        else if (!OnPath(program)) Skip = $"{program} is not installed (scripts/install-test-deps.sh installs QEMU)";
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));
}
