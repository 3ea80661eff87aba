using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Protocol;

namespace Tern.Actors.Tests.Cluster;

/// <summary>Type names as Hyperion writes them (the core library marked ",%core%"), allowed or refused.</summary>
public sealed class ClusterTypeFilterTests
{
    private static readonly ClusterTypeFilter Filter = new();

    [Theory]
    [InlineData("Tern.Actors.Cluster.ClusterProtocol+PrepareIncoming, Tern.Actors")]
    [InlineData("Tern.Actors.Cluster.VmDisk[], Tern.Actors")]
    [InlineData("System.Collections.Generic.List`1[[Tern.Actors.Cluster.VmDisk, Tern.Actors]], System.Private.CoreLib,%core%")]
    [InlineData("System.Collections.Generic.List`1[[Tern.Actors.Cluster.Protocol.VmNic, Tern.Actors.Cluster.Protocol]], System.Private.CoreLib,%core%")]
    [InlineData("Tern.Actors.Cluster.Protocol.VmDefinitionLayouts+WithNics, Tern.Actors.Cluster.Protocol")]
    [InlineData("System.Collections.Generic.List`1[[System.String, System.Private.CoreLib,%core%]], System.Private.CoreLib,%core%")]
    [InlineData("<>z__ReadOnlyArray`1[[Tern.Actors.Cluster.HostView, Tern.Actors]], Tern.Host")]
    [InlineData("System.Nullable`1[[System.DateTime, System.Private.CoreLib,%core%]], System.Private.CoreLib,%core%")]
    public void The_cluster_s_own_types_and_their_collections_are_allowed(string name) => Assert.True(Filter.IsAllowed(name), name);

    [Theory]
    [InlineData("System.IO.FileInfo, System.Private.CoreLib,%core%")]
    [InlineData("System.Collections.Generic.List`1[[System.IO.FileInfo, System.Private.CoreLib,%core%]], System.Private.CoreLib,%core%")]
    [InlineData("<>z__ReadOnlyArray`1[[System.Diagnostics.Process, System.Diagnostics.Process]], Tern.Host")]
    [InlineData("Tern.Actors.Vm.VmActor, Tern.Actors")]
    [InlineData("Tern.Actors.Cluster.Evil, Evil.Assembly")]
    [InlineData("<>z__ReadOnlyArray`1[[Tern.Actors.Cluster.HostView, Tern.Actors]], Evil")]
    [InlineData("not a [type name")]
    public void Anything_else_is_refused(string name) => Assert.False(Filter.IsAllowed(name), name);
}
