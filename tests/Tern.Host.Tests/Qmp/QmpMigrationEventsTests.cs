using System.Text.Json.Nodes;
using Tern.Actors.Migration.Engine;
using Tern.Actors.Vm;
using Tern.Host.Qmp;

namespace Tern.Host.Tests.Qmp;

/// <summary>Issue 16: QMP writes the VM's typed migration events as QEMU's MIGRATION and MIGRATION_PASS, and only those.</summary>
public sealed class QmpMigrationEventsTests
{
    private static VmEvent.MigrationProgress Progress(MigrationStatus status, int pass, bool changed, bool passEnded, bool events = true) =>
        new(DateTimeOffset.UnixEpoch, MigrationSide.Outgoing, new MigrationInfo(status) { Round = pass }, changed, passEnded, events);

    private static string[] Events(VmEvent e) => QmpEvents.Lines(e).Select(l => JsonNode.Parse(l)!.ToJsonString()).ToArray();

    [Fact]
    public void A_status_change_and_a_pass_become_MIGRATION_then_MIGRATION_PASS()
    {
        var lines = Events(Progress(MigrationStatus.Active, 2, changed: true, passEnded: true));

        Assert.Equal([
            """{"event":"MIGRATION","data":{"status":"active"},"timestamp":{"seconds":0,"microseconds":0}}""",
            """{"event":"MIGRATION_PASS","data":{"pass":2},"timestamp":{"seconds":0,"microseconds":0}}""",
        ], lines);
    }

    [Fact]
    public void Progress_between_changes_and_the_outcome_write_nothing()
    {
        var ended = new VmEvent.MigrationEnded(DateTimeOffset.UnixEpoch, MigrationSide.Outgoing, MigrationResult.Completed, null,
            GuestLocation.MovedAway, VmRunState.PostMigrate, new MigrationInfo(MigrationStatus.Completed));

        Assert.Empty(Events(Progress(MigrationStatus.Active, 3, changed: false, passEnded: false)));
        Assert.Empty(Events(ended));
    }

    [Fact]
    public void Without_the_events_capability_nothing_is_announced()
    {
        Assert.Empty(Events(Progress(MigrationStatus.Completed, 4, changed: true, passEnded: true, events: false)));
    }

    [Fact]
    public void Other_events_are_one_line_as_before()
    {
        var stop = new VmEvent.Stopped(DateTimeOffset.UnixEpoch);

        Assert.Equal(QmpEvents.ToWire(stop), Assert.Single(QmpEvents.Lines(stop)));
    }
}
