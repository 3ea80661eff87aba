namespace Tern.Actors.Cluster.Protocol;

/// <summary>Where a client outside the cluster finds it: the names a ClusterClient's contact points and sends are built from.</summary>
public static class ClusterEndpoints
{
    /// <summary>The ActorSystem name every node runs (an address is <c>akka.tcp://tern@HOST:PORT</c>, <c>akka.ssl.tcp</c> with TLS).</summary>
    public const string SystemName = "tern";

    /// <summary>Each node's ClusterClientReceptionist, the contact point a client names (Akka's default path).</summary>
    public const string ReceptionistPath = "/system/receptionist";

    /// <summary>The actor on every node that takes <see cref="ClusterProtocol.IManagerCommand"/>s from clients and passes them to the manager.</summary>
    public const string OperatorPath = "/user/operator";

    /// <summary>The Akka address of the node bound to <paramref name="host"/>:<paramref name="port"/> (its <c>--bind</c>); with TLS the transport's protocol is akka.ssl.tcp.</summary>
    public static string NodeAddress(string host, int port, bool tls) =>
        $"akka.{(tls ? "ssl." : "")}tcp://{SystemName}@{(host.Contains(':') ? $"[{host}]" : host)}:{port}";

    /// <summary>That node's receptionist, as a ClusterClient's contact point.</summary>
    public static string Receptionist(string host, int port, bool tls) => NodeAddress(host, port, tls) + ReceptionistPath;
}
