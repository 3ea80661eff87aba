namespace Tern.EndToEnd.Tests.Cluster.Netns.Bench;

/// <summary>The failover benchmark: runs only when bench/run.sh --failover sets <see cref="ResultsVariable"/>, and only where the namespace tests can run.</summary>
public sealed class FailoverBenchmarkFactAttribute : FactAttribute
{
    public const string ResultsVariable = "TERN_FAILOVER_BENCH_RESULTS";

    public FailoverBenchmarkFactAttribute()
    {
        Skip = new NetnsFactAttribute().Skip
            ?? (Environment.GetEnvironmentVariable(ResultsVariable) is null ? $"a benchmark: bench/run.sh --failover runs it ({ResultsVariable} unset)" : null);
    }
}
