using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Tern.Actors.Cluster;

/// <summary>
/// Maps the type names written before the cluster's types moved into namespaces of their folders
/// (<c>Tern.Actors.Cluster.ManagerEvents+VmDefined</c>, now
/// <c>Tern.Actors.Cluster.Registry.ManagerEvents+VmDefined</c>) to today's, so a journal or
/// snapshot persisted by an earlier Tern still recovers. Hyperion names every type it writes, and
/// calls this on each name it reads before loading the type.
/// </summary>
public static partial class ClusterTypeRenames
{
    private const string Root = "Tern.Actors.Cluster";

    private static readonly Dictionary<string, string> Moved = TypesInSubNamespaces();

    // Only the cluster build (tern node, not trimmed) deserializes cluster messages; the trimmed
    // native tern never calls this, so no type it could miss matters.
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "runs only in the untrimmed cluster build")]
    private static Dictionary<string, string> TypesInSubNamespaces() => typeof(ClusterTypeRenames).Assembly.GetTypes()
        .Where(t => !t.IsNested && t.Namespace is { } ns && ns.StartsWith(Root + ".", StringComparison.Ordinal))
        .ToDictionary(t => t.Name, t => t.Namespace!, StringComparer.Ordinal);

    /// <summary>The name with each type that lived directly in Tern.Actors.Cluster and now lives in a sub-namespace renamed.</summary>
    public static string Current(string typeName) =>
        FlatClusterType().Replace(typeName, m => Moved.TryGetValue(m.Groups[1].Value, out var ns) ? $"{ns}.{m.Groups[1].Value}" : m.Value);

    // A type directly in the root namespace: its name ends at a nested-type '+', a generic arity, an assembly, an array or argument list.
    [GeneratedRegex(@"(?<![\w.])Tern\.Actors\.Cluster\.(\w+)(?=[+`,\[\]]|$)")]
    private static partial Regex FlatClusterType();
}
