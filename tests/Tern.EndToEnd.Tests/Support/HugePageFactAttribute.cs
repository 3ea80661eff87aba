namespace Tern.EndToEnd.Tests.Support;

/// <summary>A test that needs /dev/kvm and a hugetlbfs pool of its own: skipped, with the reason, elsewhere.</summary>
public sealed class HugePageFactAttribute : FactAttribute
{
    public HugePageFactAttribute()
    {
        if (KvmFactAttribute.SkipReason is { } noKvm) Skip = noKvm;
        else if (HugePagePool.WhyUnavailable is { } reason) Skip = reason;
    }
}
