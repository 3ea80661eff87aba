using System.Reflection.Metadata;
using Hyperion;

namespace Tern.Actors.Cluster.Protocol;

/// <summary>
/// The types <see cref="ClusterSerializer"/> may build from bytes another node sent: a Hyperion
/// stream names the types to instantiate, so without a filter a peer could make this node build
/// any type it can load. Allowed are the types of Tern's cluster protocol (namespace
/// Tern.Actors.Cluster and below, in a Tern assembly: this package and, on a node, Tern.Actors,
/// which holds the host-to-manager messages and the persisted events), the collections the C#
/// compiler makes for collection expressions in Tern's assemblies, and a few .NET collections and
/// values their fields hold; a generic or array type only with allowed arguments. Anything else is refused before it is loaded.
/// </summary>
public sealed class ClusterTypeFilter : ITypeFilter
{
    private const string ClusterNamespace = "Tern.Actors.Cluster.";

    private static readonly HashSet<string> DotNetTypes = new(StringComparer.Ordinal)
    {
        "System.String", "System.Boolean", "System.Byte", "System.Int32", "System.Int64", "System.UInt64", "System.Double",
        "System.DateTime", "System.TimeSpan", "System.Guid", "System.Nullable`1",
        "System.Collections.Generic.List`1", "System.Collections.ObjectModel.ReadOnlyCollection`1",
    };

    /// <summary>Hyperion marks the core library's name so that .NET Framework and .NET peers agree on it.</summary>
    private const string CoreLibraryMark = ",%core%";

    public bool IsAllowed(string typeName) =>
        TypeName.TryParse(typeName.Replace(CoreLibraryMark, "", StringComparison.Ordinal), out var parsed) && IsAllowed(parsed);

    private static bool IsAllowed(TypeName type)
    {
        if (type.IsPointer || type.IsByRef) return false;
        if (type.IsArray) return IsAllowed(type.GetElementType());
        if (type.IsConstructedGenericType)
            return IsAllowed(type.GetGenericTypeDefinition()) && type.GetGenericArguments().All(IsAllowed);
        string name = type.FullName;
        bool inTern = type.AssemblyName?.Name?.StartsWith("Tern.", StringComparison.Ordinal) ?? false;
        return name.StartsWith(ClusterNamespace, StringComparison.Ordinal) && inTern
            || name.StartsWith("<>z__", StringComparison.Ordinal) && inTern
            || DotNetTypes.Contains(name);
    }
}
