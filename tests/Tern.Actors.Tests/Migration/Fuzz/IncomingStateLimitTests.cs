using Tern.Actors.Migration;
using Tern.Actors.Migration.Wire;
using Tern.Actors.Tests.Support;
using Tern.Devices.Config;

namespace Tern.Actors.Tests.Migration.Fuzz;

/// <summary>
/// State sections are each at most 16 MiB, but the receiver kept every one until End: a hostile
/// source could grow the destination without bound. It now refuses a repeated id and a total
/// over 64 MiB as they arrive.
/// </summary>
public sealed class IncomingStateLimitTests(MigrationCorpus corpus) : IClassFixture<MigrationCorpus>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private RawStream Started() => new RawStream().Header()
        .Section(MigrationSectionKind.Config, payload: MigrationFingerprint.From(corpus.Config).ToJson());

    [KvmFact]
    public void Endless_large_state_sections_are_refused_before_memory_runs_out()
    {
        var stream = Started();
        for (int i = 0; i < 5; i++) stream.Section(MigrationSectionKind.State, System.Text.Encoding.UTF8.GetBytes($"junk/{i}"), payload: new byte[MigrationStreamFormat.MaxStateBytes]);
        using var target = new IncomingFuzzTarget(corpus.Config);

        var outcome = target.Run(stream.ToArray(), Timeout);

        Assert.Equal(MigrationStatus.Failed, outcome.Info?.Status);
        Assert.Equal("component states over 64 MiB in all", outcome.Info?.ErrorDesc);
    }

    [KvmFact]
    public void A_state_sent_twice_is_refused_when_it_arrives()
    {
        var stream = Started()
            .Section(MigrationSectionKind.State, "legacy"u8.ToArray(), payload: [1])
            .Section(MigrationSectionKind.State, "legacy"u8.ToArray(), payload: [2]);
        using var target = new IncomingFuzzTarget(corpus.Config);

        var outcome = target.Run(stream.ToArray(), Timeout);

        Assert.Equal("state 'legacy' arrived twice", outcome.Info?.ErrorDesc);
    }
}
