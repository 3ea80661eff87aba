using System.Diagnostics;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Tests.Support;
using Xunit.Abstractions;

namespace Tern.Actors.Tests.Migration.Fuzz;

/// <summary>
/// Issue 4, acceptance 7: the incoming side (IncomingReceiver over a UNIX socket, restoring into a
/// real machine on KVM) fed thousands of mutated and truncated copies of streams recorded from
/// real migrations. Every case must end cleanly: refused with a one-line error (failed, or canceled
/// by an invented Cancel), the guest discarded and never resumed, no exception escaping, no hang;
/// or accepted only where the mutation allows it (see <see cref="MutationClass"/>). Guest memory
/// is reached only through bounds-checked GuestMemory, so a write outside it would escape as an
/// exception and fail here; and the test process itself stays alive to the end.
/// Set TERN_FUZZ_SEED to replay from a reported seed (TERN_FUZZ_CASES=1 for that case alone),
/// TERN_FUZZ_CASES to change the count, TERN_FUZZ_ERRORS to list which refusals were reached.
/// </summary>
public sealed class IncomingMigrationFuzzTests(MigrationCorpus corpus, ITestOutputHelper output) : IClassFixture<MigrationCorpus>
{
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(15);
    private static int Cases => int.TryParse(Environment.GetEnvironmentVariable("TERN_FUZZ_CASES"), out int n) ? n : 3000;
    private static int FirstSeed => int.TryParse(Environment.GetEnvironmentVariable("TERN_FUZZ_SEED"), out int s) ? s : 20_000;

    [KvmFact]
    public void Recorded_streams_migrate_into_the_real_incoming_side()
    {
        using var target = new IncomingFuzzTarget(corpus.Config);
        foreach (var recorded in corpus.Streams)
        {
            var reference = Replay(target, recorded);
            output.WriteLine($"{recorded.Name}: {recorded.Stream.Length} bytes, {StreamLayout.Parse(recorded.Stream).Sections.Count} sections, guest {reference.Guest}");
            Assert.Null(reference.Difference(reference.Guest, target.Machine.Memory, target.LastRestored));
        }
    }

    [KvmFact]
    public void Thousands_of_mutated_recorded_streams_are_each_refused_cleanly()
    {
        using var target = new IncomingFuzzTarget(corpus.Config);
        var references = corpus.Streams.Select(r => Replay(target, r)).ToArray();
        var mutators = corpus.Streams.Select(r => new StreamMutator(r.Stream)).ToArray();
        var tally = new Dictionary<string, int>();
        var catalog = new RefusalCatalog();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Cases; i++)
        {
            int seed = FirstSeed + i;
            int k = seed % mutators.Length; // the seed alone reproduces a case
            var mutation = mutators[k].Next(new Random(seed));
            var outcome = target.Run(mutation.Bytes, CaseTimeout);
            string verdict = Judge(outcome, mutation, references[k], target);
            if (verdict.StartsWith("BAD", StringComparison.Ordinal))
                Assert.Fail($"seed {seed} ({corpus.Streams[k].Name}, {mutation.Class}: {mutation.What}): {verdict[4..]}");
            tally[$"{mutation.Class} {verdict}"] = tally.GetValueOrDefault($"{mutation.Class} {verdict}") + 1;
            if (RefusalCatalog.Wanted) catalog.Add(outcome.Info?.ErrorDesc ?? verdict);
        }
        output.WriteLine($"{Cases} cases in {clock.Elapsed.TotalSeconds:F1} s");
        foreach (var (what, count) in tally.OrderBy(t => t.Key)) output.WriteLine($"  {count,5}  {what}");
        foreach (var line in catalog.Lines()) output.WriteLine(line);
        if (Cases >= 1000) Assert.True(tally.Where(t => t.Key.Contains("refused")).Sum(t => t.Value) > Cases * 3 / 4, "most mutations must be refused");
    }

    /// <summary>Replays an undamaged recording: it must complete, and what it leaves is the reference.</summary>
    private static FuzzReference Replay(IncomingFuzzTarget target, RecordedMigration recorded)
    {
        var outcome = target.Run(recorded.Stream, CaseTimeout);
        Assert.True(outcome.Info?.Status == MigrationStatus.Completed, $"{recorded.Name} replayed: {outcome.Info?.ErrorDesc ?? outcome.Escaped?.ToString()}");
        return new FuzzReference(outcome.Guest!.Value, FuzzReference.HashMemory(target.Machine.Memory), target.LastRestored!);
    }

    /// <summary>"refused", "canceled", "accepted", or "BAD why".</summary>
    private static string Judge(FuzzOutcome o, Mutation mutation, FuzzReference reference, IncomingFuzzTarget target)
    {
        if (o.Hung) return $"BAD no verdict within {CaseTimeout.TotalSeconds} s";
        if (o.Escaped is not null) return $"BAD {o.Escaped.GetType().Name} escaped the receiver: {o.Escaped}";
        var info = o.Info!;
        switch (info.Status)
        {
            case MigrationStatus.Failed or MigrationStatus.Canceled:
                if (o.Guest != GuestAfterMigration.Discarded || o.Resumed) return $"BAD {info.Status} but the guest was {o.Guest}, resumed {o.Resumed}";
                string error = info.ErrorDesc ?? "";
                if (error.Length == 0 || error.Length > 1024 || error.Contains('\n') || error.Contains("   at "))
                    return $"BAD not a clean one-line error: '{error}'";
                return info.Status == MigrationStatus.Failed ? "refused" : "canceled";
            case MigrationStatus.Completed:
                if (!o.Restored || o.Resumed != (o.Guest == GuestAfterMigration.Arrived)) return $"BAD completed as {o.Guest}, restored {o.Restored}, resumed {o.Resumed}";
                if (mutation.Class == MutationClass.Damage && reference.Difference(o.Guest!.Value, target.Machine.Memory, target.LastRestored) is { } diff)
                    return $"BAD damaged stream accepted: {diff}";
                return "accepted";
            default:
                return $"BAD ended in status {info.Status}";
        }
    }
}
