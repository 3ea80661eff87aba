using System.Globalization;

namespace Tern.Bench;

/// <summary>
/// Runs every contender once per scenario per round, rotating who goes first each round so that
/// drift (page cache, host load, thermal) falls on all alike. Warm-up rounds are run and dropped.
/// </summary>
public static class InterleavedRun
{
    public static List<BootSample> Run(IReadOnlyList<Contender> contenders, IReadOnlyList<Scenario> scenarios,
        BootRunner runner, int rounds, int warmupRounds)
    {
        var kept = new List<BootSample>();
        for (int round = 1 - warmupRounds; round <= rounds; round++)
        foreach (var scenario in scenarios)
        for (int i = 0; i < contenders.Count; i++)
        {
            var contender = contenders[(i + Math.Max(round, 0)) % contenders.Count];
            var sample = runner.Run(contender, scenario, round);
            Console.WriteLine(Describe(sample, warmup: round < 1));
            if (round >= 1) kept.Add(sample);
        }
        return kept;
    }

    private static string Describe(BootSample s, bool warmup)
    {
        string head = $"{(warmup ? "warm-up" : $"round {s.Round}"),-8} {s.Scenario,-13} {s.Contender,-28}";
        if (!s.Succeeded) return $"{head} FAILED: {s.Failure}";
        var m = s.Memory!;
        return string.Create(CultureInfo.InvariantCulture,
            $"{head} READY {s.ReadyMs,8:F1} ms  RSS {m.TotalRssKb / 1024.0,6:F1} MiB  guest RAM {m.GuestRamRssKb / 1024.0,6:F1}  overhead {m.OverheadKb / 1024.0,5:F1}");
    }
}
