using Tern.Actors.Cluster.Protocol;

namespace Tern.Samples.MigrateWithClusterClient;

/// <summary>How the sample prints the protocol's typed answers.</summary>
public static class MigrationProgress
{
    public static string Line(VmView vm) =>
        $"  {vm.Name,-16} {vm.State.ToString().ToLowerInvariant(),-10} {(vm.Host is null ? "on no host" : $"on {vm.Host}"),-14} {vm.MemoryBytes >> 20} MiB, {vm.Vcpus} vCPU";

    /// <summary>One progress line; the figures a report changes in (status, round, bytes left) are the ones it shows.</summary>
    public static string Line(MigrationReport r) =>
        $"progress: {r.Status} round {r.Round}, {Mib(r.RemainingBytes)} of {Mib(r.TotalBytes)} MiB left, {Mib(r.TransferredBytes)} MiB sent, " +
        $"{r.Mbps:0.0} Mbps, {r.TotalTimeMs} ms";

    public static string Outcome(MigrationReport r) => r.Status switch
    {
        "completed" => $"migration of {r.Name} completed: {r.From} -> {r.To} in {r.TotalTimeMs} ms, guest paused {r.DowntimeMs ?? 0} ms",
        "failed" => $"migration of {r.Name} failed: {r.Error ?? "no reason given"}",
        _ => $"migration of {r.Name} {r.Status}",
    };

    /// <summary>Whether <paramref name="next"/> says something <paramref name="previous"/> did not (the manager's report is polled, so most polls repeat).</summary>
    public static bool Changed(MigrationReport? previous, MigrationReport next) =>
        previous is null || previous.Status != next.Status || previous.Round != next.Round || previous.RemainingBytes != next.RemainingBytes
        || previous.TransferredBytes != next.TransferredBytes;

    private static string Mib(ulong bytes) => (bytes / (double)(1 << 20)).ToString("0.0");
}
