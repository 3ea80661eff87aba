namespace Tern.EndToEnd.Tests.Cluster.Netns.Bench;

/// <summary>
/// The cluster benchmark: runs only when bench/run.sh --cluster asks for it (it sets
/// <see cref="ResultsVariable"/> to the RESULTS.md to write), and only where the namespace tests can run.
/// </summary>
public sealed class ClusterBenchmarkFactAttribute : FactAttribute
{
    public const string ResultsVariable = "TERN_CLUSTER_BENCH_RESULTS";

    public ClusterBenchmarkFactAttribute()
    {
        Skip = new NetnsFactAttribute().Skip
            ?? (Environment.GetEnvironmentVariable(ResultsVariable) is null ? $"a benchmark: bench/run.sh --cluster runs it ({ResultsVariable} unset)" : null);
    }
}
