using Tern.Kvm;

namespace Tern.Kvm.Tests;

/// <summary>A test that needs /dev/kvm: skipped, with the reason shown, where it is absent.</summary>
public sealed class KvmFactAttribute : FactAttribute
{
    public KvmFactAttribute()
    {
        if (!KvmSystem.IsAvailable()) Skip = "/dev/kvm is not available on this machine";
    }
}
