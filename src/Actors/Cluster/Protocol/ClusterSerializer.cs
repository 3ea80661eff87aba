using Akka.Actor;
using Akka.Serialization;

namespace Tern.Actors.Cluster.Protocol;

/// <summary>
/// The serializer of every cluster message and persisted event, on nodes and clients alike
/// (<see cref="ClusterSerialization.Config"/> binds <see cref="IClusterMessage"/> to it): Hyperion,
/// with its type filter set to <see cref="ClusterTypeFilter"/>. It keeps Hyperion's identifier, so
/// the bytes on the wire and in existing journals are the same; only what it will build from them
/// is limited, and names of types that have since moved are read as today's
/// (<see cref="ClusterTypeRenames"/>); a type whose fields changed is read in the layout it was
/// written in (<see cref="VmDefinitionLayouts"/>). (Akka's own HyperionSerializer takes a type filter from a
/// setup but does not pass it on to Hyperion in 1.5.73, so the filter is given here directly.)
/// </summary>
public class ClusterSerializer : Serializer
{
    private readonly HyperionSerializer _hyperion;

    /// <summary>The client's serializer: the protocol's own moved types renamed.</summary>
    public ClusterSerializer(ExtendedActorSystem system) : this(system, ClusterTypeRenames.Protocol)
    {
    }

    /// <summary>A serializer that also reads the older names <paramref name="renames"/> knows (a node reading its journal).</summary>
    protected ClusterSerializer(ExtendedActorSystem system, ClusterTypeRenames renames) : base(system) =>
        _hyperion = new HyperionSerializer(system, new HyperionSerializerSettings(
            HyperionSerializerSettings.Default.PreserveObjectReferences,
            HyperionSerializerSettings.Default.VersionTolerance,
            HyperionSerializerSettings.Default.KnownTypesProvider,
            [renames.Current],
            [.. HyperionSerializerSettings.Default.Surrogates, .. VmDefinitionLayouts.Surrogates],
            disallowUnsafeType: true,
            new ClusterTypeFilter()));

    public override int Identifier => _hyperion.Identifier;

    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) => _hyperion.ToBinary(obj);

    public override object FromBinary(byte[] bytes, Type type) => _hyperion.FromBinary(bytes, type);
}
