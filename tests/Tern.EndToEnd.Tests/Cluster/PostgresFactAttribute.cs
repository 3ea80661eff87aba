namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>A test that runs VMs (needs /dev/kvm) with a PostgreSQL journal: skipped, with the reason shown, where either is missing.</summary>
public sealed class KvmPostgresFactAttribute : FactAttribute
{
    public KvmPostgresFactAttribute()
    {
        if (KvmFactAttribute.SkipReason is { } noKvm) Skip = noKvm;
        else if (PostgresServer.Bin is null) Skip = "PostgreSQL is not installed (scripts/install-test-deps.sh installs it)";
    }
}
