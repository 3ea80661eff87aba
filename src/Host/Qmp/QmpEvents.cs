using System.Text.Json.Nodes;
using Tern.Actors.Vm;

namespace Tern.Host.Qmp;

/// <summary>A VM event as the QMP event line clients receive (QEMU's event names and data members).</summary>
public static class QmpEvents
{
    /// <summary>The lines an event becomes: one for most, none or some for the typed migration events.</summary>
    public static IReadOnlyList<byte[]> Lines(VmEvent e) => e switch
    {
        VmEvent.MigrationProgress p => QmpMigrationEvents.Announcements(p).Select(ToWire).ToArray(),
        VmEvent.MigrationEnded => [],
        _ => [ToWire(e)],
    };

    /// <summary>The line of an event that is announced as it is.</summary>
    public static byte[] ToWire(VmEvent e) => e switch
    {
        VmEvent.Stopped => QmpWire.Event("STOP", null, e.At),
        VmEvent.Resumed => QmpWire.Event("RESUME", null, e.At),
        VmEvent.Shutdown s => QmpWire.Event("SHUTDOWN", new JsonObject { ["guest"] = s.Guest, ["reason"] = s.Reason }, e.At),
        VmEvent.Reset r => QmpWire.Event("RESET", new JsonObject { ["guest"] = r.Guest, ["reason"] = r.Reason }, e.At),
        VmEvent.Powerdown => QmpWire.Event("POWERDOWN", null, e.At),
        VmEvent.Migration m => QmpWire.Event("MIGRATION", new JsonObject { ["status"] = m.Status }, e.At),
        VmEvent.MigrationPass p => QmpWire.Event("MIGRATION_PASS", new JsonObject { ["pass"] = p.Pass }, e.At),
        _ => QmpWire.Event(e.GetType().Name.ToUpperInvariant(), null, e.At),
    };
}
