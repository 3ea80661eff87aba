using Tern.Actors.Migration.Engine;
using Tern.Actors.Migration.Engine.Wire;
using Tern.Actors.Tests.Support;
using Tern.Devices.Config;

namespace Tern.Actors.Tests.Migration.Fuzz;

/// <summary>The receiver bugs the fuzz tests found, one test each, on the real incoming side.</summary>
public sealed class IncomingReceiverRegressionTests(MigrationCorpus corpus) : IClassFixture<MigrationCorpus>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private RawStream Started() => new RawStream().Header()
        .Section(MigrationSectionKind.Config, payload: MigrationFingerprint.From(corpus.Config).ToJson());

    /// <summary>State sections are each at most 16 MiB, but every one was kept until End: the destination could be grown without bound.</summary>
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

    /// <summary>
    /// The destination failed when it could not tell the source it had resumed the guest: a source
    /// gone right after its commit (it then keeps the guest paused, in doubt) left no guest anywhere.
    /// </summary>
    [KvmFact]
    public void The_guest_stays_on_the_destination_when_the_source_hangs_up_after_its_commit()
    {
        using var target = new IncomingFuzzTarget(corpus.Config);
        var running = corpus.Streams.First(s => s.Name.Contains("running", StringComparison.Ordinal));

        var outcome = target.Run(running.Stream, Timeout, hangUpAtResume: true);

        Assert.Equal(MigrationStatus.Completed, outcome.Info?.Status);
        Assert.Equal(GuestAfterMigration.Arrived, outcome.Guest);
    }
}
