namespace Tern.EndToEnd.Tests.Cluster.Netns;

/// <summary>
/// A test that runs VMs on nodes in network namespaces with a PostgreSQL journal: needs root (to
/// create namespaces, veths and a bridge), /dev/kvm, iproute2 and PostgreSQL; skipped, with the
/// reason shown, where any is missing.
/// </summary>
public sealed class NetnsFactAttribute : FactAttribute
{
    public NetnsFactAttribute()
    {
        if (Environment.UserName != "root") Skip = "network namespaces need root";
        else if (KvmFactAttribute.SkipReason is { } noKvm) Skip = noKvm;
        else if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip")) Skip = "iproute2 (ip) is not installed";
        else if (PostgresServer.Bin is null) Skip = "PostgreSQL is not installed (scripts/install-test-deps.sh installs it)";
    }
}
