namespace Tern.EndToEnd.Tests.Net;

/// <summary>A test that needs /dev/kvm, and root to create TAP interfaces: skipped, with the reason, elsewhere.</summary>
public sealed class NetFactAttribute : FactAttribute
{
    public NetFactAttribute()
    {
        if (KvmFactAttribute.SkipReason is { } noKvm) Skip = noKvm;
        else if (Environment.UserName != "root") Skip = "creating TAP interfaces needs root";
        else if (!File.Exists("/dev/net/tun")) Skip = "/dev/net/tun is not available on this machine";
    }
}
