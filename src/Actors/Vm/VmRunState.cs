namespace Tern.Actors.Vm;

/// <summary>
/// The VM's lifecycle state, as query-status reports it (QEMU's RunState names, lowercase).
/// <see cref="Migrating"/> is Tern's own: the guest runs while a migration sends it away; QMP
/// reports it as "running".
/// </summary>
public enum VmRunState
{
    Created,
    Running,
    Paused,
    Migrating,
    InMigrate,
    PostMigrate,
    /// <summary>Saved to a snapshot file: QMP's postmigrate, but the guest is still whole here (paused), and <c>cont</c> resumes it.</summary>
    Saved,
    Shutdown,
}

public static class VmRunStateNames
{
    /// <summary>The status string QMP's query-status returns for a state.</summary>
    public static string QmpStatus(this VmRunState state) => state switch
    {
        VmRunState.Running or VmRunState.Migrating => "running",
        VmRunState.Paused => "paused",
        VmRunState.InMigrate or VmRunState.Created => "inmigrate",
        VmRunState.PostMigrate or VmRunState.Saved => "postmigrate",
        _ => "shutdown",
    };

    /// <summary>Whether the guest's vCPUs are executing in this state.</summary>
    public static bool IsRunning(this VmRunState state) => state is VmRunState.Running or VmRunState.Migrating;
}
