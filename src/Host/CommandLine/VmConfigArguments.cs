using System.Globalization;
using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// The StratoVirt command line that <see cref="VmCommandLine.Parse(IReadOnlyList{string})"/> reads
/// back as the same VM: how a node hands a cluster VM to its `tern vm` process (and what `ps`
/// shows of it). It spells what cluster VMs use — name, machine, memory, vCPUs, kernel, disks,
/// NICs on TAPs, an incoming migration — and refuses anything else rather than drop it.
/// </summary>
public static class VmConfigArguments
{
    public static IReadOnlyList<string> For(VmConfig config)
    {
        if (config.Qmp is not null || config.IncomingDeferred
            || config.MemoryBacking.Path is not null || config.StartPaused || config.TlsCreds.Count > 0 || config.Serial.Kind != SerialKind.None)
            throw new ArgumentException("a VM process is given disks, NICs, a kernel and an incoming migration only; this config has more", nameof(config));
        var args = new List<string>();
        if (config.Name is { } name) args.AddRange(["-name", name]);
        args.AddRange(["-machine", $"{config.MachineType},dump-guest-core={OnOff(config.Machine.DumpGuestCore)},mem-share={OnOff(config.Machine.MemShare)}"]);
        args.AddRange(["-m", $"{config.MemoryBytes}B"]);
        args.AddRange(["-smp", config.Vcpus.ToString(CultureInfo.InvariantCulture)]);
        args.AddRange(["-kernel", config.Boot.KernelPath]);
        if (config.Boot.InitrdPath is { } initrd) args.AddRange(["-initrd", initrd]);
        args.AddRange(["-append", config.Boot.Cmdline]);
        foreach (var d in config.Drives)
            args.AddRange(["-drive", $"file={Value(d.Path, "a disk path")},id={d.Id},readonly={OnOff(d.ReadOnly)},direct={OnOff(d.Direct)}"]);
        foreach (var b in config.BlockDevices)
            args.AddRange(["-device", $"virtio-blk-pci,drive={b.DriveId},id={b.Id},bus={b.Bus},addr={b.Address}"
                + (b.Serial is { } serial ? $",serial={Value(serial, "a disk serial")}" : "")]);
        foreach (var n in config.Netdevs) args.AddRange(["-netdev", $"tap,id={n.Id},ifname={Value(n.IfName, "a TAP name")}"]);
        foreach (var n in config.NetDevices)
        {
            if (n.Multifunction) throw new ArgumentException($"NIC {n.Id} is multifunction, which a cluster VM never is", nameof(config));
            args.AddRange(["-device", $"virtio-net-pci,netdev={n.NetdevId},id={n.Id},bus={n.Bus},addr={n.Address},mac={n.Mac}"]);
        }
        if (config.IncomingEndpoint is { } incoming) args.AddRange(["-incoming", incoming.ToString()]);
        return args;
    }

    private static string OnOff(bool value) => value ? "on" : "off";

    /// <summary>A property value goes between commas: one holding a comma cannot be spelt (the parser has no escape for it).</summary>
    private static string Value(string value, string what) =>
        value.Contains(',') ? throw new ArgumentException($"{what} holds a comma, which the command line cannot carry: {value}") : value;
}
