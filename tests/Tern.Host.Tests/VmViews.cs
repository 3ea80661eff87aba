using Tern.Actors.Cluster.Protocol;

namespace Tern.Host.Tests;

/// <summary>Running VMs as the manager lists them, for tests of what the API and ctl show of them.</summary>
public static class VmViews
{
    public static VmView Of(string name, ProtectionView? protection, string host = "h1") =>
        new(name, host, VmState.Running, 64UL << 20, 1, 1, null, new VmDefinition(name, "/k", null, "", 64UL << 20, 1, [], null), Protection: protection);
}
