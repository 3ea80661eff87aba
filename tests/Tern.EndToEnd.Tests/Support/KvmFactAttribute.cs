namespace Tern.EndToEnd.Tests.Support;

/// <summary>An end-to-end test that needs /dev/kvm: skipped, with the reason shown, where it is absent.</summary>
public sealed class KvmFactAttribute : FactAttribute
{
    public KvmFactAttribute()
    {
        if (!File.Exists("/dev/kvm")) Skip = "/dev/kvm is not available on this machine";
    }
}
