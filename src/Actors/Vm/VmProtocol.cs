using Tern.Devices.Config;

namespace Tern.Actors.Vm;

/// <summary>
/// The public message protocol of a <see cref="VmActor"/>: boot, lifecycle commands, queries and
/// the events it publishes. QMP and the HTTP API are thin adapters over these messages.
/// </summary>
public static class VmProtocol
{
    public interface IVmMessage;

    /// <summary>Build the machine and start its vCPUs; replied with <see cref="Booted"/> or <see cref="BootFailed"/>.</summary>
    /// <param name="PrepareMigration">The VM may be migrated (a QMP monitor or a cluster drives it): warm the outgoing path up once it runs.</param>
    public sealed record Boot(bool PrepareMigration = false) : IVmMessage;

    public sealed record Booted : IVmMessage;

    /// <summary>The machine could not be built (bad kernel, KVM error ...); the actor stops itself.</summary>
    /// <param name="ImageInUse">A disk image is locked by another user: a boot may succeed once it lets go.</param>
    public sealed record BootFailed(string Reason, bool ImageInUse = false) : IVmMessage;

    /// <summary>Ask to be told once, with <see cref="VmExited"/>, when the VM has ended.</summary>
    public sealed record WatchExit : IVmMessage;

    /// <summary>The VM has ended: the process exit code a standalone tern should use, and why.</summary>
    /// <param name="ProcessDied">The VM's own process ended without saying the VM ended (it crashed or was killed): its VMM failed, not its guest.</param>
    public sealed record VmExited(int ExitCode, string Reason, bool ProcessDied = false) : IVmMessage
    {
        private const string VcpuFailedText = " failed: ";

        /// <summary>The reason a VM ends with when vCPU <paramref name="id"/> could not go on (KVM internal error, failed entry, triple fault...).</summary>
        public static string VcpuFailed(int id, string? detail) => $"vCPU {id}{VcpuFailedText}{detail}";

        /// <summary>Whether a VM's end <paramref name="reason"/> is a vCPU failure: a host health signal (issue 19).</summary>
        public static bool IsVcpuFailure(string reason) => reason.StartsWith("vCPU ", StringComparison.Ordinal) && reason.Contains(VcpuFailedText, StringComparison.Ordinal);
    }

    /// <summary>A lifecycle command (stop, cont, system_reset, system_powerdown, quit); replied with <see cref="CommandDone"/> or <see cref="CommandFailed"/>.</summary>
    public sealed record Command(VmCommand Kind) : IVmMessage;

    public sealed record CommandDone : IVmMessage;

    public sealed record CommandFailed(string Reason) : IVmMessage;

    /// <summary>Replied with <see cref="Status"/>.</summary>
    public sealed record QueryStatus : IVmMessage;

    public sealed record Status(VmRunState State) : IVmMessage
    {
        public bool Running => State.IsRunning();
    }

    /// <summary>Replied with <see cref="Cpus"/>: one entry per vCPU with the host thread running it.</summary>
    public sealed record QueryCpus : IVmMessage;

    public sealed record CpuInfo(int Index, int HostThreadId);

    public sealed record Cpus(IReadOnlyList<CpuInfo> List) : IVmMessage;

    /// <summary>Replied with <see cref="ConfigReply"/> (the VM's definition: name, drives, devices ...).</summary>
    public sealed record QueryConfig : IVmMessage;

    public sealed record ConfigReply(VmConfig Config) : IVmMessage;

    /// <summary>Publish every <see cref="VmEvent"/> to <paramref name="Subscriber"/> until it stops or unsubscribes.</summary>
    public sealed record Subscribe(Akka.Actor.IActorRef Subscriber) : IVmMessage;

    public sealed record Unsubscribe(Akka.Actor.IActorRef Subscriber) : IVmMessage;

}

/// <summary>
/// Events a VM publishes to its subscribers (QMP clients see them as STOP, RESUME, ...); its
/// migrations' typed progress and outcome are in VmMigrationEvents.cs.
/// </summary>
public abstract partial record VmEvent(DateTimeOffset At)
{
    public sealed record Stopped(DateTimeOffset At) : VmEvent(At);

    public sealed record Resumed(DateTimeOffset At) : VmEvent(At);

    /// <summary>The VM is ending: <paramref name="Guest"/> when the guest asked, with QEMU's reason names.</summary>
    public sealed record Shutdown(DateTimeOffset At, bool Guest, string Reason) : VmEvent(At);

    public sealed record Reset(DateTimeOffset At, bool Guest, string Reason) : VmEvent(At);

    public sealed record Powerdown(DateTimeOffset At) : VmEvent(At);

    /// <summary>
    /// QMP's MIGRATION announcement of a status change, as QMP derives it from
    /// <see cref="MigrationProgress"/>; the VmActor itself publishes only the typed progress.
    /// </summary>
    public sealed record Migration(DateTimeOffset At, string Status) : VmEvent(At);

    /// <summary>QMP's MIGRATION_PASS announcement of a finished pre-copy round, derived like <see cref="Migration"/>.</summary>
    public sealed record MigrationPass(DateTimeOffset At, int Pass) : VmEvent(At);
}
