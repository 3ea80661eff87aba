using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Tern.Actors.Cluster.Protocol;

/// <summary>
/// Reads the type names an earlier Tern wrote as today's, so a journal or snapshot it persisted
/// still recovers. Hyperion names every type it writes ("Namespace.Type+Nested, Assembly") and
/// calls <see cref="Current"/> on each name it reads before loading the type. Two moves are
/// known: every cluster type once lived directly in Tern.Actors.Cluster, in the Tern.Actors
/// assembly; since then some went to namespaces of their folders
/// (<c>Tern.Actors.Cluster.Registry.ManagerEvents+VmDefined</c>), and the public protocol to this
/// assembly (<c>Tern.Actors.Cluster.Protocol.ClusterProtocol+CreateVm, Tern.Actors.Cluster.Protocol</c>).
/// A name of the old flat form is looked up among the types of the given assemblies by the part
/// after its namespace; names of today's form pass unchanged. A type whose fields changed is read
/// as the layout its name stood for then (<see cref="VmDefinitionLayouts"/>).
/// </summary>
public sealed partial class ClusterTypeRenames
{
    private const string Root = "Tern.Actors.Cluster";

    /// <summary>Old name after the root namespace ("ClusterProtocol+CreateVm") -> today's full name and assembly.</summary>
    private readonly Dictionary<string, (string FullName, string Assembly)> _moved = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, string> _renamedOuter;

    /// <summary>The protocol's own types, all a client can receive.</summary>
    public static readonly ClusterTypeRenames Protocol = new([typeof(ClusterTypeRenames).Assembly]);

    /// <param name="assemblies">Where the cluster types live today; the first to hold a name wins.</param>
    /// <param name="renamedOuter">
    /// Outer types that were renamed when part of their nested types moved away (the host-to-manager
    /// half of the old ClusterProtocol): old outer name -> today's, tried when a name is not found as it was.
    /// </param>
    public ClusterTypeRenames(IEnumerable<Assembly> assemblies, IReadOnlyDictionary<string, string>? renamedOuter = null)
    {
        foreach (var type in assemblies.SelectMany(TypesOf))
            if (type.FullName is { } full && type.Namespace is { } ns && (ns == Root || ns.StartsWith(Root + ".", StringComparison.Ordinal)))
                _moved.TryAdd(full[(ns.Length + 1)..], (full, type.Assembly.GetName().Name!));
        _renamedOuter = renamedOuter ?? new Dictionary<string, string>();
    }

    // Only the cluster build (tern node and clients, not trimmed) deserializes cluster messages;
    // the trimmed native tern never calls this, so no type it could miss matters.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "runs only in untrimmed builds")]
    private static Type[] TypesOf(Assembly assembly) => assembly.GetTypes();

    /// <summary>
    /// The name with each type written in the old flat form, in the Tern.Actors assembly, named as
    /// it is today; and VmDefinition as written before it had layouts, as the layout it was written in.
    /// </summary>
    public string Current(string typeName)
    {
        string moved = FlatClusterType().Replace(typeName, m =>
            Find(m.Groups["name"].Value) is var (full, assembly) ? $"{full}{m.Groups["array"].Value}, {assembly}" : m.Value);
        return UnversionedDefinition().Replace(moved, $"{typeof(VmDefinitionLayouts.BeforeNics).FullName}${{array}}, {typeof(VmDefinition).Assembly.GetName().Name}");
    }

    private (string, string)? Find(string name)
    {
        if (_moved.TryGetValue(name, out var found)) return found;
        int plus = name.IndexOf('+');
        if (plus > 0 && _renamedOuter.TryGetValue(name[..plus], out var outer) && _moved.TryGetValue(outer + name[plus..], out found)) return found;
        return null;
    }

    // A type directly in the root namespace (nested types after '+'), maybe an array, then its
    // assembly Tern.Actors; what follows ends the assembly name (']', ',' or the end).
    [GeneratedRegex(@"(?<![\w.])Tern\.Actors\.Cluster\.(?<name>\w+(?:\+\w+)*)(?<array>(?:\[\])*), Tern\.Actors(?![\w.])")]
    private static partial Regex FlatClusterType();

    [GeneratedRegex(@"(?<![\w.+])Tern\.Actors\.Cluster\.Protocol\.VmDefinition(?<array>(?:\[\])*), Tern\.Actors\.Cluster\.Protocol(?![\w.])")]
    private static partial Regex UnversionedDefinition();
}
