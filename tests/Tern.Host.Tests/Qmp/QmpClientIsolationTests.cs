using Tern.Host.Qmp.Client;

namespace Tern.Host.Tests.Qmp;

/// <summary>
/// The QMP client is product code (`tern demo`) that the tests and benchmarks share: it must not
/// pull a test framework into `tern`, nor the VMM into the benchmarks that measure it from outside.
/// </summary>
public sealed class QmpClientIsolationTests
{
    [Fact]
    public void The_client_assembly_references_neither_xunit_nor_any_other_Tern_assembly()
    {
        var assembly = typeof(QmpClient).Assembly;
        var forbidden = assembly.GetReferencedAssemblies().Select(a => a.Name!)
            .Where(n => n.StartsWith("xunit", StringComparison.OrdinalIgnoreCase) || n.StartsWith("Tern.", StringComparison.Ordinal) || n == "tern")
            .ToList();
        Assert.True(forbidden.Count == 0, $"{assembly.GetName().Name} references {string.Join(", ", forbidden)}");
    }
}
