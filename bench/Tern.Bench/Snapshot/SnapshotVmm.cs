using Tern.Bench.Migration;

namespace Tern.Bench.Snapshot;

/// <summary>
/// A VMM under measurement and how it saves to and restores from a file. Tern has QEMU's `file:`
/// URI for both; QEMU 7.2 has none, so it saves through a pipe to `cat > FILE` and restores from
/// `cat FILE`, the way its documentation shows for a snapshot to a file.
/// </summary>
/// <param name="SaveUri">The `migrate` URI that writes FILE.</param>
/// <param name="RestoreUri">The -incoming value that reads FILE.</param>
/// <param name="WritesThroughChild">The file is written by a child process that may still be running when `migrate` completed.</param>
public sealed record SnapshotVmm(MigrationVmm Vmm, Func<string, string> SaveUri, Func<string, string> RestoreUri, bool WritesThroughChild)
{
    public string Name => Vmm.Name;

    public bool IsTern => Vmm.IsTern;

    /// <summary>Tern and QEMU q35 with the migration benchmark's command lines (QEMU's CPU and max-bandwidth).</summary>
    public static IReadOnlyList<SnapshotVmm> Both(BenchOptions o)
    {
        var both = MigrationVmm.Both(o);
        return
        [
            new(both.Single(v => v.IsTern), file => $"file:{file}", file => $"file:{file}", WritesThroughChild: false),
            new(both.Single(v => !v.IsTern), file => $"exec:cat > {file}", file => $"exec:cat {file}", WritesThroughChild: true),
        ];
    }

    /// <summary>The guest RAM regions' sizes in this VMM (to find them in /proc/PID/smaps).</summary>
    public IReadOnlyList<ulong> GuestRamSizes(MigrationScenario guest) => Vmm.Contender(new BenchShape(guest.MemoryMiB, 2)).GuestRamSizes;
}
