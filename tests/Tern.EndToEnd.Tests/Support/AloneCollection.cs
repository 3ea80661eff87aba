namespace Tern.EndToEnd.Tests.Support;

/// <summary>Tests that measure the process (allocations, timing) run with no other test beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone";
}
