namespace Tern.Actors.Cluster.Protocol;

/// <summary>
/// A network card of a cluster VM: a virtio-net device whose TAP each host attaches to its bridge
/// <paramref name="Bridge"/>, with the Ethernet address <paramref name="Mac"/>
/// (<c>52:54:00:12:34:56</c>). A create may leave the MAC out; the manager then gives it one,
/// unique in the cluster, and stores it with the definition, so it is the same on every host the
/// VM ever runs on (a migration's destination announces it).
/// </summary>
public sealed record VmNic(string Bridge, string? Mac = null)
{
    public override string ToString() => Mac is null ? $"bridge={Bridge}" : $"bridge={Bridge},mac={Mac}";
}
