using Tern.Kvm;

namespace Tern.Devices.Tests.Board;

/// <summary>A test that builds a real machine on /dev/kvm: skipped, with the reason shown, where it is absent.</summary>
public sealed class KvmFactAttribute : FactAttribute
{
    public KvmFactAttribute()
    {
        if (!KvmSystem.IsAvailable()) Skip = "/dev/kvm is not available on this machine";
    }
}

/// <summary>A theory that builds real machines on /dev/kvm: skipped, with the reason shown, where it is absent.</summary>
public sealed class KvmTheoryAttribute : TheoryAttribute
{
    public KvmTheoryAttribute()
    {
        if (!KvmSystem.IsAvailable()) Skip = "/dev/kvm is not available on this machine";
    }
}
