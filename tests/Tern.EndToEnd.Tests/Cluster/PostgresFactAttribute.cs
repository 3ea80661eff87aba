namespace Tern.EndToEnd.Tests.Cluster;

/// <summary>
/// A test that runs VMs (needs /dev/kvm) with a PostgreSQL journal: skipped, with the reason shown,
/// where either is missing; with <see cref="Root"/>, also where the test does not run as root.
/// </summary>
public sealed class KvmPostgresFactAttribute : FactAttribute
{
    public KvmPostgresFactAttribute()
    {
        if (KvmFactAttribute.SkipReason is { } noKvm) Skip = noKvm;
        else if (PostgresServer.Bin is null) Skip = "PostgreSQL is not installed (scripts/install-test-deps.sh installs it)";
    }

    /// <summary>The nodes give their VM processes users of their own, which only root may do.</summary>
    public bool Root
    {
        get => false;
        init
        {
            if (value && Skip is null && !Environment.IsPrivilegedProcess) Skip = "needs root: only root changes a process's user";
        }
    }
}

/// <summary>A test that needs PostgreSQL only: skipped, with the reason shown, where it is not installed.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresServer.Bin is null) Skip = "PostgreSQL is not installed (scripts/install-test-deps.sh installs it)";
    }
}
