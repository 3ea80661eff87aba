using Tern.Bench.Migration;

namespace Tern.Bench.Snapshot;

/// <summary>
/// The guests saved and restored (issue 20): half of RAM filled with random data, so the file must
/// hold it and a restore must bring it back, ticking every 50 ms and checksumming the whole region
/// every 5 ticks, so the first check after a restore shows what touching all of it costs then.
/// </summary>
public static class SnapshotGuests
{
    public const int TickMs = 50, CheckEvery = 5;

    public static IReadOnlyList<MigrationScenario> Select(IReadOnlyList<int> memoryMiB) => memoryMiB.Select(For).ToList();

    /// <summary>The soak region in MiB: the guest's data, which a file must hold and a restore must bring back.</summary>
    public static ulong RegionMiB(MigrationScenario guest) => guest.MemoryMiB / 2;

    private static MigrationScenario For(int memoryMiB)
    {
        if (memoryMiB < 64 || memoryMiB % 2 != 0) throw new ArgumentException($"--snapshot-sizes: {memoryMiB} MiB is not an even size of at least 64");
        string ram = memoryMiB % 1024 == 0 ? $"{memoryMiB / 1024} GiB" : $"{memoryMiB} MiB";
        return new MigrationScenario($"{memoryMiB}", $"{ram}, {memoryMiB / 2} MiB random", (ulong)memoryMiB,
            $"mode=soak mib={memoryMiB / 2} tick_ms={TickMs} check_every={CheckEvery}", CheckEvery,
            ChecksTakeTime: true, AutoConverge: false, RandomData: true);
    }
}
