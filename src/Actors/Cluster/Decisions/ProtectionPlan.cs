using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;

using static Tern.Actors.Cluster.Protocol.ClusterProtocol;
using static Tern.Actors.Cluster.Registry.ManagerEvents;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>
/// The manager's decisions about protected VMs (issue 18), as events to persist. A standby belongs
/// to one instance of its VM (<see cref="ProtectionEntry.HasStandbyFor"/>) and is assigned only
/// while that instance runs on an up host and does not migrate. It may take over (be promoted) only
/// once it has committed a checkpoint, and only as the registry's current standby: a promotion
/// stored here is what makes the standby's guest the VM, and it never waits for the lost primary's
/// VM process to end, because a primary releases no output the standby has not committed, and a
/// promoted standby commits nothing more (the primary then stops its guest by itself).
/// </summary>
public static class ProtectionPlan
{
    /// <summary><c>tern ctl protect</c>: the protection and, for a VM that runs, its standby's host now, or a refusal that changes nothing.</summary>
    public static CommandOutcome Protect(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts, ProtectVm command, DateTime now)
    {
        if (registry.Vm(command.Name) is not { } vm) return CommandOutcome.Refuse(FailureKind.NotFound, $"no VM named '{command.Name}'");
        var request = new ProtectionRequest(command.Standby, command.EpochMs);
        if (request.Problem() is { } problem) return CommandOutcome.Refuse(FailureKind.Invalid, problem);
        if (registry.Protection(vm.Name) is { } existing)
            return existing.EpochMs == request.EpochMs && existing.RequestedStandby == request.Standby
                ? CommandOutcome.Accept($"vm {vm.Name} is already protected")
                : CommandOutcome.Refuse(FailureKind.Conflict, $"vm {vm.Name} is already protected (epoch {existing.EpochMs} ms); unprotect it first");
        if (registry.Migrations.ContainsKey(vm.Name)) return CommandOutcome.Refuse(FailureKind.Conflict, $"vm {vm.Name} is migrating; protect it once it has moved");
        if (request.Standby is { } wanted && registry.Host(wanted) is null) return CommandOutcome.Refuse(FailureKind.NotFound, $"no host named '{wanted}'");
        var protectedEvent = new VmProtected(vm.Name, request.EpochMs, request.Standby, now);
        if (vm.Desired != DesiredState.Running || vm.Host is null)
            return CommandOutcome.Accept($"vm {vm.Name} protected; its standby is synced once it runs", protectedEvent);
        var (standby, refusal) = StandbyPlacement.Choose(vm.Definition, vm.Host, hosts, request.Standby);
        if (standby is null) return CommandOutcome.Refuse(FailureKind.NoRoom, $"cannot protect {vm.Name}: {refusal}; nothing changed");
        return CommandOutcome.Accept($"vm {vm.Name} protected: standby syncing on {standby}",
            protectedEvent, new StandbyAssigned(vm.Name, standby, registry.NextIncarnation, vm.Incarnation, now));
    }

    /// <summary><c>tern ctl create --protect</c>: refused unless a host other than the VM's own could take its standby.</summary>
    public static string? CreateRefusal(VmDefinition vm, string primary, IReadOnlyList<HostCandidate> hosts, ProtectionRequest request)
    {
        if (request.Problem() is { } problem) return problem;
        var withVm = hosts.Select(h => h.Name == primary ? h.With(vm) : h).ToArray();
        return StandbyPlacement.Choose(vm, primary, withVm, request.Standby).Refusal;
    }

    public static CommandOutcome Unprotect(ClusterRegistry registry, UnprotectVm command, DateTime now)
    {
        if (registry.Vm(command.Name) is null) return CommandOutcome.Refuse(FailureKind.NotFound, $"no VM named '{command.Name}'");
        return registry.Protection(command.Name) is null
            ? CommandOutcome.Accept($"vm {command.Name} was not protected")
            : CommandOutcome.Accept($"vm {command.Name} unprotected", new VmUnprotected(command.Name, "asked by the operator", now));
    }

    /// <summary>
    /// Standbys for the protected VMs that run without one, each on the host standby placement
    /// chooses (an operator's choice is kept to while it fits); each choice sees the ones before it.
    /// A VM none fits stays degraded until the next look.
    /// </summary>
    public static IReadOnlyList<IManagerEvent> Assign(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts, DateTime now)
    {
        var events = new List<IManagerEvent>();
        var current = hosts.ToDictionary(h => h.Name);
        long incarnation = registry.LastIncarnation;
        foreach (var p in registry.Protections.Values)
        {
            if (registry.Vm(p.Vm) is not { Desired: DesiredState.Running, Host: { } primary } vm) continue;
            if (p.HasStandbyFor(vm) || registry.Migrations.ContainsKey(vm.Name) || registry.Host(primary)?.Up != true) continue;
            var (standby, _) = StandbyPlacement.Choose(vm.Definition, primary, current.Values.ToArray(), p.RequestedStandby);
            // The host asked for may be full or away: any other keeps the VM protected meanwhile.
            if (standby is null && p.RequestedStandby is not null) (standby, _) = StandbyPlacement.Choose(vm.Definition, primary, current.Values.ToArray());
            if (standby is null) continue;
            current[standby] = current[standby].With(vm.Definition);
            events.Add(new StandbyAssigned(vm.Name, standby, ++incarnation, vm.Incarnation, now));
        }
        return events;
    }

    /// <summary>The VMs on a lost host whose standby holds a committed checkpoint on an up host: promoted.</summary>
    public static IReadOnlyList<StandbyPromoted> PromotionsFor(ClusterRegistry registry, DateTime now) =>
        registry.Vms.Values
            .Where(v => v.Desired == DesiredState.Running && v.Host is not null && registry.Host(v.Host)?.Up != true)
            .Select(v => Promotion(registry, v.Name, $"host {v.Host} is down", now))
            .OfType<StandbyPromoted>()
            .ToArray();

    /// <summary>The promotion of the VM's synced standby on an up host, if it has one: its primary is gone (<paramref name="why"/>).</summary>
    public static StandbyPromoted? Promotion(ClusterRegistry registry, string name, string why, DateTime now) =>
        registry.StandbyOf(name) is { Synced: true } s && registry.Host(s.Standby!)?.Up == true
            ? new StandbyPromoted(name, s.Standby!, s.StandbyIncarnation, why, now)
            : null;

    /// <summary>The standbys on a host that is lost or leaving: dropped, to be synced elsewhere.</summary>
    public static IReadOnlyList<StandbyDropped> StandbysLostWith(ClusterRegistry registry, string host, string why, DateTime now) =>
        registry.StandbysOn(host).Select(p => new StandbyDropped(p.Vm, p.StandbyIncarnation, why, now)).ToArray();

    /// <summary>
    /// The standby <paramref name="incarnation"/> says its stream from the primary broke. A link
    /// lost (the primary's host or VM process died, or the link between them broke): a synced
    /// standby takes over. A checkpoint it refused, or one never synced: it is dropped, and the
    /// primary goes on alone until a fresh standby is synced.
    /// </summary>
    public static IReadOnlyList<IManagerEvent> OnStandbyBroken(ClusterRegistry registry, string name, long incarnation, bool refused, string why, DateTime now)
    {
        if (registry.StandbyOf(name) is not { } p || p.StandbyIncarnation != incarnation) return [];
        if (!refused && Promotion(registry, name, why, now) is { } promoted) return [promoted];
        return [new StandbyDropped(name, incarnation, why, now)];
    }

    /// <summary>
    /// The primary <paramref name="incarnation"/> says its stream to the standby broke: the standby
    /// is dropped and the primary goes on alone. Whichever side's report comes first decides (the
    /// manager takes one at a time): the other finds the standby no longer the VM's. Keeping the
    /// primary, when it can still say so, replays nothing.
    /// </summary>
    public static IReadOnlyList<IManagerEvent> OnPrimaryBroken(ClusterRegistry registry, string name, long incarnation, string why, DateTime now) =>
        registry.StandbyOf(name) is { } p && p.PrimaryIncarnation == incarnation ? [new StandbyDropped(name, p.StandbyIncarnation, why, now)] : [];

    /// <summary>The standby's first committed checkpoint: the VM is protected.</summary>
    public static IReadOnlyList<IManagerEvent> OnStandbyCommitted(ClusterRegistry registry, string name, long incarnation, DateTime now) =>
        registry.StandbyOf(name) is { Synced: false } p && p.StandbyIncarnation == incarnation ? [new StandbySynced(name, incarnation, now)] : [];

    /// <summary>The standby's instance ended (its VM process died, its boot failed ...): dropped.</summary>
    public static IReadOnlyList<IManagerEvent> OnStandbyEnded(ClusterRegistry registry, string name, long incarnation, string why, DateTime now) =>
        registry.StandbyOf(name) is { } p && p.StandbyIncarnation == incarnation ? [new StandbyDropped(name, incarnation, why, now)] : [];
}
