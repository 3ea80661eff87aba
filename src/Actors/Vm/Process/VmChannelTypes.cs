using System.Text.Json.Serialization.Metadata;
using Tern.Actors.Migration.Engine;
using static Tern.Actors.Migration.MigrationProtocol;
using static Tern.Actors.Vm.Process.VmChannelMessages;
using static Tern.Actors.Vm.VmProtocol;

namespace Tern.Actors.Vm.Process;

/// <summary>
/// The types a VM channel frame may carry, by the name the frame gives: the VM process and the
/// node build only these from what the other end sent. A name is the type's own (nested types
/// without their container), so it stays readable in a trace and stable across refactors that
/// move a type.
/// </summary>
public static class VmChannelTypes
{
    private static readonly Type[] Allowed =
    [
        typeof(NodeHello), typeof(VmHello), typeof(MigrateTo), typeof(CommitRequest), typeof(ConsoleData), typeof(FenceCountdown), typeof(LeaseDeadline),
        typeof(Boot), typeof(Booted), typeof(BootFailed), typeof(VmExited),
        typeof(Command), typeof(CommandDone), typeof(CommandFailed),
        typeof(QueryStatus), typeof(Status), typeof(QueryCpus), typeof(Cpus),
        typeof(CommitApproved), typeof(CommitRefused), typeof(MigrateStarted), typeof(MigrateRefused),
        typeof(MigrateCancel), typeof(CancelAccepted), typeof(CancelRefused), typeof(QueryMigrate), typeof(MigrationInfo),
        typeof(SetParameters), typeof(ParametersReply), typeof(ParametersRefused), typeof(SetCapabilities),
        typeof(LostHeartbeat), typeof(FailoverStarted), typeof(FailoverRefused),
        typeof(VmEvent.Stopped), typeof(VmEvent.Resumed), typeof(VmEvent.Shutdown), typeof(VmEvent.Reset),
        typeof(VmEvent.Powerdown), typeof(VmEvent.MigrationProgress), typeof(VmEvent.MigrationEnded),
    ];

    // ToDictionary refuses two types of one name when the class is first used.
    private static readonly Dictionary<string, JsonTypeInfo> ByName = Allowed.ToDictionary(t => t.Name, Info, StringComparer.Ordinal);
    private static readonly Dictionary<Type, string> Names = Allowed.ToDictionary(t => t, t => t.Name);

    /// <summary>How many types the channel carries.</summary>
    public static int Count => Allowed.Length;

    /// <summary>The metadata of the type a frame names; null when it is not one the channel carries.</summary>
    public static JsonTypeInfo? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The name a frame gives <paramref name="type"/>; throws for a type the channel does not carry (a bug of the sender).</summary>
    public static string NameOf(Type type) =>
        Names.TryGetValue(type, out var name) ? name : throw new ArgumentException($"{type.Name} is not a VM channel message", nameof(type));

    private static JsonTypeInfo Info(Type type) =>
        VmChannelJsonContext.Default.GetTypeInfo(type) ?? throw new InvalidOperationException($"{type.Name} has no JSON metadata in VmChannelJsonContext");
}
