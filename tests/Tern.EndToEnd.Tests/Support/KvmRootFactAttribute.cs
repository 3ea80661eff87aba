namespace Tern.EndToEnd.Tests.Support;

/// <summary>
/// An end-to-end test that needs /dev/kvm and root: a node that makes cgroups for its VM
/// processes, or gives them users of their own. Skipped, with the reason shown, otherwise.
/// </summary>
public sealed class KvmRootFactAttribute : FactAttribute
{
    public KvmRootFactAttribute()
    {
        if (KvmFactAttribute.SkipReason is { } noKvm) Skip = noKvm;
        else if (!Environment.IsPrivilegedProcess) Skip = Tern.TestSupport.RootFactAttribute.NotRoot;
    }
}
