namespace Tern.Actors.Cluster.Protocol;

/// <summary>
/// Every message that crosses the network between cluster hosts, or between a client and the
/// cluster, and every event the manager persists: the serialization binding of both ends names
/// this interface (<see cref="ClusterSerialization"/>, hocon/cluster.conf).
/// </summary>
public interface IClusterMessage;
