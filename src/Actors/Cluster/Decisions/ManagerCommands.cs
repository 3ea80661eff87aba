using Tern.Actors.Cluster.Protocol;
using Tern.Actors.Cluster.Registry;
using Tern.Devices.Config;

using static Tern.Actors.Cluster.NodeProtocol;
using static Tern.Actors.Cluster.Protocol.ClusterProtocol;
using static Tern.Actors.Cluster.Registry.ManagerEvents;

namespace Tern.Actors.Cluster.Decisions;

/// <summary>What an operator command does: the events to persist (none when refused) and the reply.</summary>
public sealed record CommandOutcome(IReadOnlyList<IManagerEvent> Events, IClusterMessage Reply)
{
    public static CommandOutcome Refuse(FailureKind kind, string reason) => new([], new Failed(kind, reason));

    public static CommandOutcome Accept(string message, params IManagerEvent[] events) => new(events, new Done(message));
}

/// <summary>
/// Decides operator commands against the registry and the schedulable hosts. A refused command
/// changes nothing; an accepted one is the list of events the manager persists before replying.
/// </summary>
public static class ManagerCommands
{
    public static CommandOutcome Decide(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts, IManagerCommand command, DateTime now,
        MigrationLimits? limits = null)
    {
        limits ??= new MigrationLimits(int.MaxValue, int.MaxValue);
        return command switch
        {
            CreateVm c => Create(registry, hosts, c.Definition, c.Protect, now),
            ProtectVm p => ProtectionPlan.Protect(registry, hosts, p, now),
            UnprotectVm u => ProtectionPlan.Unprotect(registry, u, now),
            StartVm s => WithVm(registry, s.Name, vm => Start(registry, hosts, vm, now)),
            StopVm s => WithVm(registry, s.Name, vm => Stop(vm, now)),
            DeleteVm d => WithVm(registry, d.Name, vm => Delete(vm, now)),
            MigrateVm m => WithVm(registry, m.Name, vm => Migrate(registry, hosts, limits, vm, m.ToHost, now)),
            UpgradeVm u => WithVm(registry, u.Name, vm => Upgrade(registry, limits, vm, now)),
            DrainHost d => WithHost(registry, d.Host, host => Drain(registry, hosts, limits, host, now)),
            UndrainHost u => WithHost(registry, u.Host, host => host.Draining
                ? CommandOutcome.Accept($"host {host.Name} is schedulable again", new HostDrainChanged(host.Name, false, now))
                : CommandOutcome.Accept($"host {host.Name} was not draining")),
            IssueApiToken t => IssueToken(registry, t.Token, now),
            RevokeApiToken r => registry.Tokens.ContainsKey(r.Id)
                ? CommandOutcome.Accept($"api token {r.Id} revoked", new ApiTokenRevoked(r.Id, now))
                : CommandOutcome.Refuse(FailureKind.NotFound, ApiTokenIds.IsValid(r.Id) ? $"no api token '{r.Id}'" : "malformed api token id"),
            _ => CommandOutcome.Refuse(FailureKind.Invalid, $"{command.GetType().Name} is not a command"),
        };
    }

    private static CommandOutcome Create(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts, VmDefinition vm, ProtectionRequest? protect, DateTime now)
    {
        var problems = vm.Problems();
        if (problems.Count > 0) return CommandOutcome.Refuse(FailureKind.Invalid, string.Join("; ", problems));
        if (registry.Vm(vm.Name) is not null) return CommandOutcome.Refuse(FailureKind.Conflict, $"a VM named '{vm.Name}' already exists");
        foreach (var mac in (vm.Nics ?? []).Select(n => n.Mac).OfType<string>().Select(m => MacAddress.TryParse(m, out _)!.Value))
            if (NicMacs.Holder(registry, mac, vm.Name) is { } holder)
                return CommandOutcome.Refuse(FailureKind.Conflict, $"mac {mac} is already vm {holder}'s");
        vm = NicMacs.Assign(vm, registry);
        string? host = Placement.Choose(vm, hosts);
        if (host is null) return CommandOutcome.Refuse(FailureKind.NoRoom, $"cannot place '{vm.Name}': {Placement.NoRoomReason(vm, hosts)}");
        string macs = string.Concat((vm.Nics ?? []).Select((n, i) => $"; nic {i} mac {n.Mac}"));
        var created = new List<IManagerEvent> { new VmDefined(vm, now), new VmPlaced(vm.Name, host, registry.NextIncarnation, "created", now) };
        if (protect is not null)
        {
            if (protect.Standby is { } wanted && registry.Host(wanted) is null) return CommandOutcome.Refuse(FailureKind.NotFound, $"no host named '{wanted}'");
            if (ProtectionPlan.CreateRefusal(vm, host, hosts, protect) is { } refusal)
                return CommandOutcome.Refuse(FailureKind.NoRoom, $"cannot protect '{vm.Name}': {refusal}; nothing changed");
            // Its standby is assigned once it runs (the manager's next look).
            created.Add(new VmProtected(vm.Name, protect.EpochMs, protect.Standby, now));
        }
        return CommandOutcome.Accept($"vm {vm.Name} created on {host}{macs}{(protect is null ? "" : ", protected")}", [.. created]);
    }

    private static CommandOutcome Start(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts, VmEntry vm, DateTime now)
    {
        if (vm.Desired == DesiredState.Running)
            return CommandOutcome.Accept(vm.Host is null ? $"vm {vm.Name} is already waiting for a host" : $"vm {vm.Name} already runs on {vm.Host}");
        if (vm.Host is not null) return CommandOutcome.Refuse(FailureKind.Conflict, $"vm {vm.Name} is still stopping on {vm.Host}; start it once it has stopped");
        string? host = Placement.Choose(vm.Definition, hosts);
        if (host is null) return CommandOutcome.Refuse(FailureKind.NoRoom, $"cannot place '{vm.Name}': {Placement.NoRoomReason(vm.Definition, hosts)}");
        return CommandOutcome.Accept($"vm {vm.Name} started on {host}", new VmPlaced(vm.Name, host, registry.NextIncarnation, "started", now));
    }

    private static CommandOutcome Stop(VmEntry vm, DateTime now) =>
        vm.Desired == DesiredState.Stopped
            ? CommandOutcome.Accept($"vm {vm.Name} is already stopped")
            : CommandOutcome.Accept($"vm {vm.Name} is stopping", new VmStopRequested(vm.Name, now));

    private static CommandOutcome Delete(VmEntry vm, DateTime now)
    {
        if (vm.Desired == DesiredState.Running) return CommandOutcome.Refuse(FailureKind.Conflict, $"vm {vm.Name} is running; stop it first");
        if (vm.Host is not null) return CommandOutcome.Refuse(FailureKind.Conflict, $"vm {vm.Name} is still stopping on {vm.Host}");
        return CommandOutcome.Accept($"vm {vm.Name} deleted", new VmDeleted(vm.Name, now));
    }

    private static CommandOutcome Migrate(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts, MigrationLimits limits, VmEntry vm, string to, DateTime now)
    {
        if (registry.Host(to) is not { } target) return CommandOutcome.Refuse(FailureKind.NotFound, $"no host named '{to}'");
        if (vm.Desired != DesiredState.Running || vm.Host is null) return CommandOutcome.Refuse(FailureKind.Conflict, $"vm {vm.Name} is not running");
        if (vm.Host == to) return CommandOutcome.Refuse(FailureKind.Invalid, $"vm {vm.Name} already runs on {to}");
        if (registry.Migrations.ContainsKey(vm.Name)) return CommandOutcome.Refuse(FailureKind.Conflict, $"vm {vm.Name} is already migrating");
        if (target.State != HostState.Up) return CommandOutcome.Refuse(FailureKind.Conflict, $"host {to} is {target.State.ToString().ToLowerInvariant()}");
        if (hosts.FirstOrDefault(h => h.Name == to) is not { } candidate || !candidate.Fits(vm.Definition))
            return CommandOutcome.Refuse(FailureKind.NoRoom, $"host {to} has no room for '{vm.Name}': {Placement.NoRoomReason(vm.Definition, hosts.Where(h => h.Name == to).ToArray())}");
        if (registry.Host(vm.Host) is not { Up: true }) return CommandOutcome.Refuse(FailureKind.Conflict, $"vm {vm.Name}'s host {vm.Host} is down");
        var began = MigrationStarts.Begin(registry, [new MigrationMove(vm.Name, vm.Host, to, vm.Definition.MemoryBytes)], limits, now);
        if (began.Count == 0)
            return CommandOutcome.Refuse(FailureKind.Conflict,
                $"too many migrations under way ({registry.Migrations.Count}; at most {limits.PerHost} per host, {limits.PerCluster} in the cluster); try again later");
        return CommandOutcome.Accept($"vm {vm.Name} migrating {vm.Host} -> {to}", [.. began]);
    }

    /// <summary>A migration from the VM's host to itself: no room is needed, since the new process takes over the old one's RAM.</summary>
    private static CommandOutcome Upgrade(ClusterRegistry registry, MigrationLimits limits, VmEntry vm, DateTime now)
    {
        if (vm.Desired != DesiredState.Running || vm.Host is null) return CommandOutcome.Refuse(FailureKind.Conflict, $"vm {vm.Name} is not running");
        if (registry.Migrations.ContainsKey(vm.Name)) return CommandOutcome.Refuse(FailureKind.Conflict, $"vm {vm.Name} is already migrating");
        if (registry.Host(vm.Host) is not { Up: true }) return CommandOutcome.Refuse(FailureKind.Conflict, $"vm {vm.Name}'s host {vm.Host} is down");
        var began = MigrationStarts.Begin(registry, [new MigrationMove(vm.Name, vm.Host, vm.Host, vm.Definition.MemoryBytes)], limits, now);
        if (began.Count == 0)
            return CommandOutcome.Refuse(FailureKind.Conflict,
                $"too many migrations under way ({registry.Migrations.Count}; at most {limits.PerHost} per host, {limits.PerCluster} in the cluster); try again later");
        return CommandOutcome.Accept($"vm {vm.Name} moving into a new VMM process on {vm.Host}", [.. began]);
    }

    private static CommandOutcome Drain(ClusterRegistry registry, IReadOnlyList<HostCandidate> hosts, MigrationLimits limits, HostEntry host, DateTime now)
    {
        if (host.Draining) return CommandOutcome.Accept($"host {host.Name} is already draining");
        var plan = DrainPlan.For(registry, hosts, host.Name);
        if (plan.Stuck.Count > 0)
            return CommandOutcome.Refuse(FailureKind.NoRoom, $"cannot drain {host.Name}: no other host has room for {string.Join(", ", plan.Stuck)}; nothing changed");
        var drained = new HostDrainChanged(host.Name, true, now);
        // Standbys there are synced afresh elsewhere: their VMs stay protected meanwhile only by what runs.
        var (drain, _) = DrainPlan.Start(registry, hosts, limits, host.Name, $"host {host.Name} is draining", now);
        if (plan.Moves.Count == 0 && !registry.VmsOn(host.Name).Any()) return CommandOutcome.Accept($"host {host.Name} is drained", [drained, .. drain]);
        return CommandOutcome.Accept($"host {host.Name} draining: moving {plan.Moves.Count} VMs", [drained, .. drain]);
    }

    private static CommandOutcome IssueToken(ClusterRegistry registry, ApiTokenEntry token, DateTime now)
    {
        if (!ApiTokenIds.IsValid(token.Id) || token.Hash is not { Length: 64 })
            return CommandOutcome.Refuse(FailureKind.Invalid, "malformed api token entry");
        if (registry.Tokens.ContainsKey(token.Id)) return CommandOutcome.Refuse(FailureKind.Conflict, $"api token {token.Id} already exists");
        return CommandOutcome.Accept($"api token {token.Id} issued", new ApiTokenIssued(token, now));
    }

    private static CommandOutcome WithVm(ClusterRegistry registry, string name, Func<VmEntry, CommandOutcome> then) =>
        registry.Vm(name) is { } vm ? then(vm) : CommandOutcome.Refuse(FailureKind.NotFound, $"no VM named '{name}'");

    private static CommandOutcome WithHost(ClusterRegistry registry, string name, Func<HostEntry, CommandOutcome> then) =>
        registry.Host(name) is { } host ? then(host) : CommandOutcome.Refuse(FailureKind.NotFound, $"no host named '{name}'");
}
