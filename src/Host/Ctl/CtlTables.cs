using System.Globalization;
using Spectre.Console;
using Tern.Actors.Cluster;
using Tern.Actors.Cluster.Protocol;

namespace Tern.Host.Ctl;

/// <summary>The tables <c>tern ctl hosts</c> and <c>vms</c> print for people (scripts use <c>--json</c>).</summary>
public static class CtlTables
{
    public static void Hosts(IAnsiConsole console, IReadOnlyList<HostView> hosts)
    {
        var table = new Table().AddColumns("NAME", "ADDRESS", "STATE", "HEALTH", "CPU", "GUEST MEMORY", "VMS");
        foreach (var h in hosts)
            table.AddRow(
                Cell(h.Name), Cell(h.Address), Word(h.State),
                h.Degraded is { } why ? Cell($"degraded: {why}") : h.State == HostState.Down ? "-" : "ok",
                h.Load is { } l ? $"{l.CpuLoad * 100:0}% of {l.Cpus}" : "-",
                h.Load is { } m ? $"{Mib(m.GuestCommittedBytes)} / {Mib(m.GuestCapacityBytes)}" : "-",
                h.Vms.ToString(CultureInfo.InvariantCulture));
        console.Write(table);
    }

    public static void Vms(IAnsiConsole console, IReadOnlyList<VmView> vms)
    {
        var table = new Table().AddColumns(
            "NAME", "HOST", "STATE", "MEMORY", "USED", "VCPUS", "CPU", "NICS",
            "PROTECTION", "STANDBY", "EPOCH", "COMMIT AGE", "PAUSE P50/P99", "CKPT", "LAST ERROR");
        foreach (var v in vms)
            table.AddRow([
                Cell(v.Name), Cell(v.Host ?? "-"), Word(v.State), Mib(v.MemoryBytes), v.MemoryUsedBytes is { } used ? Mib(used) : "-",
                v.Vcpus.ToString(CultureInfo.InvariantCulture), v.CpuLoad is { } cpu ? $"{cpu * 100:0}%" : "-",
                v.Definition.Nics is { Count: > 0 } nics ? Cell(string.Join(", ", nics.Select(n => $"{n.Bridge} {n.Mac}"))) : "-",
                .. Protection(v.Protection),
                Cell(string.Join("; ", new[] { v.LastError, v.Protection?.Problem is { } p ? $"protection: {p}" : null }.OfType<string>())),
            ]);
        console.Write(table);
    }

    /// <summary>The protection columns: its state, and "-" for each figure it does not have (all of them while it is off).</summary>
    private static string[] Protection(ProtectionView? p) => p is null or { State: ProtectionState.Off }
        ? [Word(ProtectionState.Off), "-", "-", "-", "-", "-"]
        : [
            Word(p.State), Cell(p.Standby ?? "-"), $"{p.EpochMs} ms",
            p.LastCommitAgeMs is { } age ? CtlUnits.Age(age) : "-",
            p.PauseP50Ms is null && p.PauseP99Ms is null ? "-" : $"{Ms(p.PauseP50Ms)}/{Ms(p.PauseP99Ms)} ms",
            p.LastCheckpointBytes is { } bytes ? CtlUnits.Size(bytes) : "-",
        ];

    private static string Ms(double? ms) => ms is { } value ? $"{value:0.##}" : "-";

    /// <summary>A server-sent value as a table cell: control characters escaped, then Spectre's markup.</summary>
    private static string Cell(string text) => Markup.Escape(CtlText.Printable(text));

    private static string Word<T>(T value) where T : Enum => value.ToString().ToLowerInvariant();

    private static string Mib(ulong bytes) => $"{bytes >> 20} MiB";
}
