namespace Tern.Actors.Cluster.Host;

/// <summary>
/// Whether this node is on the side that the Split Brain Resolver's keep-majority strategy will
/// down: it sees fewer than half of the members, or exactly half without the member whose address
/// is lowest (keep-majority's tie-breaker; the caller passes the members in the cluster's address
/// order). Such a node stops its VMs before the resolver acts,
/// so the majority can restart them without a VM ever running twice.
/// </summary>
public static class SelfFencing
{
    public static bool OnLosingSide(IReadOnlyList<string> membersInAddressOrder, IReadOnlyCollection<string> unreachable, string self)
    {
        var members = membersInAddressOrder;
        if (members.Count == 0 || !members.Contains(self)) return true;
        int reachable = members.Count(m => m == self || !unreachable.Contains(m));
        if (reachable * 2 > members.Count) return false;
        if (reachable * 2 < members.Count) return true;
        return unreachable.Contains(members[0]);
    }
}
