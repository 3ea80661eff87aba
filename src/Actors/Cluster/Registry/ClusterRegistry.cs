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
    ImmutableSortedDictionary<string, ApiTokenEntry> Tokens)
{
    public static readonly ClusterRegistry Empty = new(
        ImmutableSortedDictionary.Create<string, VmEntry>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, HostEntry>(StringComparer.Ordinal),
        ImmutableSortedDictionary.Create<string, MigrationEntry>(StringComparer.Ordinal),
        0,
        ImmutableSortedDictionary.Create<string, ApiTokenEntry>(StringComparer.Ordinal));

    public long NextIncarnation => LastIncarnation + 1;

    public VmEntry? Vm(string name) => Vms.GetValueOrDefault(name);

    public HostEntry? Host(string name) => Hosts.GetValueOrDefault(name);

    public HostEntry? HostAt(string address) => Hosts.Values.FirstOrDefault(h => h.Address == address);

    /// <summary>VMs whose current instance runs or should run on <paramref name="host"/>.</summary>
    public IEnumerable<VmEntry> VmsOn(string host) => Vms.Values.Where(v => v.Host == host);

    public ClusterRegistry Apply(IManagerEvent e) => e switch
    {
        VmDefined d => this with { Vms = Vms.SetItem(d.Definition.Name, new VmEntry(d.Definition, DesiredState.Stopped, null, 0, null)) },
        VmPlaced p => UpdateVm(p.Name, v => v with { Desired = DesiredState.Running, Host = p.Host, Incarnation = p.Incarnation, LastError = null })
            with { LastIncarnation = Math.Max(LastIncarnation, p.Incarnation) },
        VmStopRequested s => UpdateVm(s.Name, v => v with { Desired = DesiredState.Stopped }),
        VmHalted h => UpdateVm(h.Name, v => v.Incarnation != h.Incarnation
            ? v // an older instance ended; the current one is unaffected
            : v with { Desired = DesiredState.Stopped, Host = null, LastError = h.Error }),
        VmUnplaced u => UpdateVm(u.Name, v => v with { Host = null }),
        VmDeleted d => this with { Vms = Vms.Remove(d.Name), Migrations = Migrations.Remove(d.Name) },
        HostJoined j => this with
        {
            Hosts = Hosts.SetItem(j.Name, Host(j.Name) is { } h ? h with { Address = j.Address, Up = true } : new HostEntry(j.Name, j.Address, true, false)),
        },
        HostLeft l => UpdateHost(l.Name, h => h with { Up = false }),
        HostDrainChanged c => UpdateHost(c.Name, h => h with { Draining = c.Draining }),
        MigrationBegan b => this with
        {
            Migrations = Migrations.SetItem(b.Name, new MigrationEntry(b.Name, b.From, b.To, b.Incarnation, b.At)),
            LastIncarnation = Math.Max(LastIncarnation, b.Incarnation),
        },
        MigrationEnded m => EndMigration(m),
        ApiTokenIssued t => this with { Tokens = Tokens.SetItem(t.Token.Id, t.Token) },
        ApiTokenRevoked r => this with { Tokens = Tokens.Remove(r.Id) },
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

    private ClusterRegistry UpdateHost(string name, Func<HostEntry, HostEntry> change) =>
        Hosts.TryGetValue(name, out var h) ? this with { Hosts = Hosts.SetItem(name, change(h)) } : this;

    public RegistrySnapshot ToSnapshot() => new([.. Vms.Values], [.. Hosts.Values], [.. Migrations.Values], LastIncarnation, [.. Tokens.Values]);

    public static ClusterRegistry FromSnapshot(RegistrySnapshot s) => Empty with
    {
        Vms = Empty.Vms.AddRange(s.Vms.Select(v => KeyValuePair.Create(v.Name, v))),
        Hosts = Empty.Hosts.AddRange(s.Hosts.Select(h => KeyValuePair.Create(h.Name, h))),
        Migrations = Empty.Migrations.AddRange(s.Migrations.Select(m => KeyValuePair.Create(m.Vm, m))),
        LastIncarnation = s.LastIncarnation,
        Tokens = Empty.Tokens.AddRange((s.Tokens ?? []).Select(t => KeyValuePair.Create(t.Id, t))),
    };
}
