using System.Collections.Immutable;
using static Tern.Actors.Cluster.Registry.ManagerEvents;

namespace Tern.Actors.Cluster.Registry;

/// <summary>
/// The cluster's desired state: VM definitions, where each should run, the migrations under way
/// and the hosts. Immutable; it changes only by applying a persisted <see cref="IManagerEvent"/>,
/// so replaying the journal over the last snapshot rebuilds exactly what the manager had.
/// Events are facts already decided; applying one that no longer fits (an unknown VM) leaves the
/// registry as it is rather than failing recovery. It also holds the control API's tokens (hashed),
/// so a token works on every node's API.
/// </summary>
public sealed record ClusterRegistry(
    ImmutableSortedDictionary<string, VmEntry> Vms,
    ImmutableSortedDictionary<string, HostEntry> Hosts,
    ImmutableSortedDictionary<string, MigrationEntry> Migrations,
    long LastIncarnation,
    ImmutableSortedDictionary<string, ApiTokenEntry> Tokens,
    ImmutableSortedDictionary<string, ProtectionEntry> Protections,
    ImmutableSortedDictionary<string, DegradedHost> Degraded)
{
    public static readonly ClusterRegistry Empty = new(
        ImmutableSortedDictionary.Create<string, VmEntry>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, HostEntry>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, MigrationEntry>(StringComparer.Ordinal),
        0,
        ImmutableSortedDictionary.Create<string, ApiTokenEntry>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, ProtectionEntry>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, DegradedHost>(StringComparer.Ordinal));

    public long NextIncarnation => LastIncarnation + 1;

    public VmEntry? Vm(string name) => Vms.GetValueOrDefault(name);

    public HostEntry? Host(string name) => Hosts.GetValueOrDefault(name);

    public ProtectionEntry? Protection(string name) => Protections.GetValueOrDefault(name);

    /// <summary>The standby of the VM's current instance, if one is assigned (none while the VM migrates: the migration ends its replication).</summary>
    public ProtectionEntry? StandbyOf(string name) =>
        Protection(name) is { } p && Vm(name) is { } vm && p.HasStandbyFor(vm) && !Migrations.ContainsKey(name) ? p : null;

    /// <summary>Standbys of current instances assigned to <paramref name="host"/>.</summary>
    public IEnumerable<ProtectionEntry> StandbysOn(string host) =>
        Protections.Values.Where(p => p.Standby == host && StandbyOf(p.Vm) is not null);

    public HostEntry? HostAt(string address) => Hosts.Values.FirstOrDefault(h => h.Address == address);

    /// <summary>VMs whose current instance runs or should run on <paramref name="host"/>.</summary>
    public IEnumerable<VmEntry> VmsOn(string host) => Vms.Values.Where(v => v.Host == host);

    public ClusterRegistry Apply(IManagerEvent e) => e switch
    {
        VmDefined d => this with { Vms = Vms.SetItem(d.Definition.Name, new VmEntry(d.Definition, DesiredState.Stopped, null, 0, null)) },
        VmPlaced p => UpdateVm(p.Name, v => v with { Desired = DesiredState.Running, Host = p.Host, Incarnation = p.Incarnation, LastError = null })
            with { LastIncarnation = Math.Max(LastIncarnation, p.Incarnation) },
        VmStopRequested s => UpdateVm(s.Name, v => v with { Desired = DesiredState.Stopped }),
        VmDisksMoved m => UpdateVm(m.Name, v => v with { Definition = v.Definition with { Disks = m.Disks } }),
        VmHalted h => UpdateVm(h.Name, v => v.Incarnation != h.Incarnation
            ? v // an older instance ended; the current one is unaffected
            : v with { Desired = DesiredState.Stopped, Host = null, LastError = h.Error }),
        // The instance a standby replicated is gone (or, below, migrating away): that standby is of no more use.
        VmUnplaced u => UpdateVm(u.Name, v => v with { Host = null }).UpdateProtection(u.Name, p => p.WithoutStandby()),
        VmDeleted d => this with { Vms = Vms.Remove(d.Name), Migrations = Migrations.Remove(d.Name), Protections = Protections.Remove(d.Name) },
        HostJoined j => this with
        {
            Hosts = Hosts.SetItem(j.Name, Host(j.Name) is { } h ? h with { Address = j.Address, Up = true } : new HostEntry(j.Name, j.Address, true, false)),
        },
        HostLeft l => UpdateHost(l.Name, h => h with { Up = false }),
        // Undrained by the operator, a degraded host is back in service too.
        HostDrainChanged c => UpdateHost(c.Name, h => h with { Draining = c.Draining }) with { Degraded = c.Draining ? Degraded : Degraded.Remove(c.Name) },
        HostDegraded d when Hosts.ContainsKey(d.Name) => UpdateHost(d.Name, h => h with { Draining = true })
            with { Degraded = Degraded.SetItem(d.Name, new DegradedHost(d.Name, d.Reason, d.At)) },
        HostRecovered r => UpdateHost(r.Name, h => h with { Draining = false }) with { Degraded = Degraded.Remove(r.Name) },
        MigrationBegan b => UpdateProtection(b.Name, p => p.WithoutStandby()) with
        {
            Migrations = Migrations.SetItem(b.Name, new MigrationEntry(b.Name, b.From, b.To, b.Incarnation, b.At)),
            LastIncarnation = Math.Max(LastIncarnation, b.Incarnation),
        },
        MigrationEnded m => EndMigration(m),
        ApiTokenIssued t => this with { Tokens = Tokens.SetItem(t.Token.Id, t.Token) },
        ApiTokenRevoked r => this with { Tokens = Tokens.Remove(r.Id) },
        VmProtected p => Vm(p.Name) is null ? this : this with
        {
            Protections = Protections.SetItem(p.Name, (Protection(p.Name) ?? new ProtectionEntry(p.Name, p.EpochMs, null, null, 0, 0, false))
                with { EpochMs = p.EpochMs, RequestedStandby = p.RequestedStandby }),
        },
        VmUnprotected u => this with { Protections = Protections.Remove(u.Name) },
        StandbyAssigned a => UpdateProtection(a.Name, p => p with { Standby = a.Host, StandbyIncarnation = a.Incarnation, PrimaryIncarnation = a.PrimaryIncarnation, Synced = false })
            with { LastIncarnation = Math.Max(LastIncarnation, a.Incarnation) },
        StandbySynced s => UpdateProtection(s.Name, p => p.StandbyIncarnation == s.Incarnation && p.Standby is not null ? p with { Synced = true } : p),
        StandbyDropped d => UpdateProtection(d.Name, p => p.StandbyIncarnation == d.Incarnation ? p.WithoutStandby() : p),
        StandbyPromoted p => UpdateProtection(p.Name, e => e.WithoutStandby())
            .UpdateVm(p.Name, v => v with { Desired = DesiredState.Running, Host = p.Host, Incarnation = p.Incarnation, LastError = null })
            with { LastIncarnation = Math.Max(LastIncarnation, p.Incarnation) },
        _ => throw new ArgumentException($"unknown registry event {e.GetType().Name}"),
    };

    private ClusterRegistry EndMigration(MigrationEnded m)
    {
        if (!Migrations.TryGetValue(m.Name, out var migration)) return this;
        var after = this with { Migrations = Migrations.Remove(m.Name) };
        return m.Committed
            ? after.UpdateVm(m.Name, v => v with { Host = migration.To, Incarnation = migration.Incarnation })
            : after;
    }

    private ClusterRegistry UpdateVm(string name, Func<VmEntry, VmEntry> change) =>
        Vms.TryGetValue(name, out var v) ? this with { Vms = Vms.SetItem(name, change(v)) } : this;

    private ClusterRegistry UpdateProtection(string name, Func<ProtectionEntry, ProtectionEntry> change) =>
        Protections.TryGetValue(name, out var p) ? this with { Protections = Protections.SetItem(name, change(p)) } : this;

    private ClusterRegistry UpdateHost(string name, Func<HostEntry, HostEntry> change) =>
        Hosts.TryGetValue(name, out var h) ? this with { Hosts = Hosts.SetItem(name, change(h)) } : this;

    public RegistrySnapshotWithHealth ToSnapshot() =>
        new(new RegistrySnapshotWithProtections(new RegistrySnapshot([.. Vms.Values], [.. Hosts.Values], [.. Migrations.Values], LastIncarnation, [.. Tokens.Values]),
            [.. Protections.Values]), [.. Degraded.Values]);

    /// <summary>The registry a snapshot holds, of any layout written so far (<see cref="RegistrySnapshotWithHealth"/>).</summary>
    public static ClusterRegistry FromStoredSnapshot(object snapshot) => snapshot switch
    {
        RegistrySnapshotWithHealth h => FromStoredSnapshot(h.Registry) with
        {
            Degraded = Empty.Degraded.AddRange((h.Degraded ?? []).Select(d => KeyValuePair.Create(d.Host, d))),
        },
        RegistrySnapshotWithProtections p => FromSnapshot(p.Registry) with
        {
            Protections = Empty.Protections.AddRange((p.Protections ?? []).Select(e => KeyValuePair.Create(e.Vm, e))),
        },
        RegistrySnapshot s => FromSnapshot(s),
        _ => throw new ArgumentException($"unknown registry snapshot {snapshot.GetType().Name}"),
    };

    public static ClusterRegistry FromSnapshot(RegistrySnapshot s) => Empty with
    {
        Vms = Empty.Vms.AddRange(s.Vms.Select(v => KeyValuePair.Create(v.Name, v))),
        Hosts = Empty.Hosts.AddRange(s.Hosts.Select(h => KeyValuePair.Create(h.Name, h))),
        Migrations = Empty.Migrations.AddRange(s.Migrations.Select(m => KeyValuePair.Create(m.Vm, m))),
        LastIncarnation = s.LastIncarnation,
        Tokens = Empty.Tokens.AddRange((s.Tokens ?? []).Select(t => KeyValuePair.Create(t.Id, t))),
    };
}
