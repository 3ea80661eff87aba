namespace Tern.Actors.Cluster.Protocol;

/// <summary>
/// The version of the cluster's wire protocol, and of the Tern.Actors.Cluster.Protocol package
/// (its project file reads <see cref="Current"/> from this file). The major number changes when a
/// message or a type it carries changes in a way an older peer cannot read; a client should use
/// a package whose major number is the cluster's.
/// </summary>
public static class ProtocolVersion
{
    /// <summary>2: the protocol types moved into this assembly (their wire names changed with it). 2.1: UpgradeVm. 2.2: VmView carries the VM's measured CPU load and memory. 2.3: VmDefinition carries NICs (VmNic). 2.4: ProtectVm, UnprotectVm; CreateVm and VmView carry protection. 2.5: HostView carries why a host is degraded.</summary>
    public const string Current = "2.5.0";
}
