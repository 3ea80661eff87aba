using System.Text.Json.Serialization;
using Tern.Actors.Migration.Engine;
using static Tern.Actors.Migration.MigrationProtocol;
using static Tern.Actors.Vm.Process.VmChannelMessages;
using static Tern.Actors.Vm.VmProtocol;

namespace Tern.Actors.Vm.Process;

/// <summary>
/// Compile-time JSON metadata for every body the VM channel carries (the `tern vm` process runs
/// natively, where reflection-based System.Text.Json is off). <see cref="VmChannelTypes"/> names
/// the same types; a type missing from either cannot be sent.
/// </summary>
[JsonSourceGenerationOptions(UseStringEnumConverter = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(NodeHello))]
[JsonSerializable(typeof(VmHello))]
[JsonSerializable(typeof(MigrateTo))]
[JsonSerializable(typeof(CommitRequest))]
[JsonSerializable(typeof(ConsoleData))]
[JsonSerializable(typeof(FenceCountdown))]
[JsonSerializable(typeof(LeaseDeadline))]
[JsonSerializable(typeof(Boot))]
[JsonSerializable(typeof(Booted))]
[JsonSerializable(typeof(BootFailed))]
[JsonSerializable(typeof(VmExited))]
[JsonSerializable(typeof(Command))]
[JsonSerializable(typeof(CommandDone))]
[JsonSerializable(typeof(CommandFailed))]
[JsonSerializable(typeof(QueryStatus))]
[JsonSerializable(typeof(Status))]
[JsonSerializable(typeof(QueryCpus))]
[JsonSerializable(typeof(Cpus))]
[JsonSerializable(typeof(CommitApproved))]
[JsonSerializable(typeof(CommitRefused))]
[JsonSerializable(typeof(MigrateStarted))]
[JsonSerializable(typeof(MigrateRefused))]
[JsonSerializable(typeof(MigrateCancel))]
[JsonSerializable(typeof(CancelAccepted))]
[JsonSerializable(typeof(CancelRefused))]
[JsonSerializable(typeof(QueryMigrate))]
[JsonSerializable(typeof(MigrationInfo))]
[JsonSerializable(typeof(SetParameters))]
[JsonSerializable(typeof(ParametersReply))]
[JsonSerializable(typeof(ParametersRefused))]
[JsonSerializable(typeof(SetCapabilities))]
[JsonSerializable(typeof(LostHeartbeat))]
[JsonSerializable(typeof(FailoverStarted))]
[JsonSerializable(typeof(FailoverRefused))]
[JsonSerializable(typeof(VmEvent.Stopped))]
[JsonSerializable(typeof(VmEvent.Resumed))]
[JsonSerializable(typeof(VmEvent.Shutdown))]
[JsonSerializable(typeof(VmEvent.Reset))]
[JsonSerializable(typeof(VmEvent.Powerdown))]
[JsonSerializable(typeof(VmEvent.MigrationProgress))]
[JsonSerializable(typeof(VmEvent.MigrationEnded))]
internal sealed partial class VmChannelJsonContext : JsonSerializerContext;
