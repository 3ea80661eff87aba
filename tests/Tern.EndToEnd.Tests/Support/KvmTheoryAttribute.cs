namespace Tern.EndToEnd.Tests.Support;

/// <summary>A data-driven end-to-end test that needs /dev/kvm: skipped, with the reason shown, where it is absent.</summary>
public sealed class KvmTheoryAttribute : TheoryAttribute
{
    public KvmTheoryAttribute()
    {
        if (!File.Exists("/dev/kvm")) Skip = "/dev/kvm is not available on this machine";
    }
}
