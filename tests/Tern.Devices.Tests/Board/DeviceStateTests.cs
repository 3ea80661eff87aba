using Tern.Devices.Board;
using Tern.Devices.Config;

namespace Tern.Devices.Tests.Board;

public sealed class DeviceStateTests : IDisposable
{
    private readonly string _disk = Path.GetTempFileName();
    private readonly string _kernel = Path.GetTempFileName();

    public DeviceStateTests()
    {
        File.WriteAllBytes(_disk, new byte[1 << 20]);
        File.WriteAllBytes(_kernel, TinyElf.Build());
    }

    public void Dispose()
    {
        File.Delete(_disk);
        File.Delete(_kernel);
    }

    private VmConfig Config(string? serial = null) => new()
    {
        MemoryBytes = 64UL << 20,
        Vcpus = 2,
        Boot = new BootConfig(_kernel, null, ""),
        Drives = [new DriveConfig("d0", _disk, ReadOnly: false, Direct: false)],
        BlockDevices = [new BlockDeviceConfig("blk0", "d0", "pcie.0", new PciAddress(2, 0), serial)],
    };

    /// <summary>A migration's destination: it opens the source's disk without taking its image lock.</summary>
    private VmConfig Incoming(VmConfig config) => config with { IncomingEndpoint = new MigrationEndpoint(MigrationTransport.Unix, "/unused.sock") };

    [KvmFact]
    public void Every_device_state_survives_a_save_and_restore_into_a_second_machine()
    {
        using var source = Machine.Create(Config(), MachineConsole.None);
        using var destination = Machine.Create(Incoming(Config()), MachineConsole.None);

        source.PauseDevices();
        var states = source.SaveDeviceStates();
        destination.RestoreDeviceStates(states);

        Assert.Equal(["legacy", "virtio-pci/blk0", "virtio-blk/blk0"], states.Select(s => s.Id));
        var again = destination.SaveDeviceStates();
        // The PM timer and the RTC keep running between the two saves; every other byte must match.
        Assert.Equal(states.Skip(1).Select(s => s.Data), again.Skip(1).Select(s => s.Data));
        Assert.Equal(Text(states[0]).Split("\"Pm\"")[0], Text(again[0]).Split("\"Pm\"")[0]);
    }

    private static string Text(ComponentState s) => System.Text.Encoding.UTF8.GetString(s.Data);

    [KvmFact]
    public void A_state_for_another_disk_is_refused_naming_the_component()
    {
        using var source = Machine.Create(Config(serial: "A"), MachineConsole.None);
        using var destination = Machine.Create(Incoming(Config(serial: "B")), MachineConsole.None);

        var e = Assert.Throws<MachineException>(() => destination.RestoreDeviceStates(source.SaveDeviceStates()));
        Assert.Contains("virtio-blk/blk0", e.Message);
    }

    [KvmFact]
    public void A_missing_or_corrupt_component_is_refused()
    {
        using var source = Machine.Create(Config(), MachineConsole.None);
        using var destination = Machine.Create(Incoming(Config()), MachineConsole.None);
        var states = source.SaveDeviceStates();

        Assert.Contains("missing", Assert.Throws<MachineException>(() => destination.RestoreDeviceStates(states.Skip(1).ToArray())).Message);
        var corrupt = states.Select(s => s.Id == "legacy" ? s with { Data = "{\"Serial\":42}"u8.ToArray() } : s).ToArray();
        Assert.Contains("legacy", Assert.Throws<MachineException>(() => destination.RestoreDeviceStates(corrupt)).Message);
    }

    /// <summary>Found by the migration fuzzer: JSON nulls and missing members reached Restore as nulls and escaped as NullReferenceException.</summary>
    [KvmTheory]
    [InlineData("virtio-pci/blk0", "Msix.Pending", null)]
    [InlineData("virtio-pci/blk0", "Queues.0", "null")]
    [InlineData("virtio-pci/blk0", "Msix", "null")]
    [InlineData("legacy", "Serial", "null")]
    [InlineData("legacy", "Cmos.Ram", null)]
    [InlineData("virtio-blk/blk0", "Serial", "null")]
    public void A_device_state_with_a_null_or_missing_member_is_refused(string id, string path, string? replacement)
    {
        using var source = Machine.Create(Config(), MachineConsole.None);
        using var destination = Machine.Create(Incoming(Config()), MachineConsole.None);
        var states = source.SaveDeviceStates();
        var hostile = states.Select(s => s.Id == id ? s with { Data = Edit(s.Data, path, replacement) } : s).ToArray();

        var e = Assert.Throws<MachineException>(() => destination.RestoreDeviceStates(hostile));
        Assert.Contains(id, e.Message);
    }

    /// <summary>Replaces (or, with null, removes) the member at a dotted path; a number indexes an array.</summary>
    private static byte[] Edit(byte[] json, string path, string? replacement)
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        var parts = path.Split('.');
        var parent = parts[..^1].Aggregate(root, (node, part) => int.TryParse(part, out int i) ? node[i]! : node[part]!);
        string last = parts[^1];
        var value = replacement is null ? null : System.Text.Json.Nodes.JsonNode.Parse(replacement);
        if (int.TryParse(last, out int index)) parent.AsArray()[index] = value;
        else if (replacement is null) parent.AsObject().Remove(last);
        else parent[last] = value;
        return System.Text.Encoding.UTF8.GetBytes(root.ToJsonString());
    }
}

/// <summary>The smallest ELF64 kernel the loader takes: one PT_LOAD of a `hlt` at 1 MiB.</summary>
internal static class TinyElf
{
    public static byte[] Build()
    {
        var elf = new byte[0x1000 + 16];
        var w = new BinaryWriter(new MemoryStream(elf));
        w.Write([0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0]); w.Write(0UL);
        w.Write((ushort)2); w.Write((ushort)0x3e); w.Write(1u);
        w.Write(0x100000UL); w.Write(64UL); w.Write(0UL); // entry, phoff, shoff
        w.Write(0u); w.Write((ushort)64); w.Write((ushort)56); w.Write((ushort)1); w.Write((ushort)64); w.Write((ushort)0); w.Write((ushort)0);
        w.Write(1u); w.Write(7u); w.Write(0x1000UL); w.Write(0x100000UL); w.Write(0x100000UL); w.Write(16UL); w.Write(16UL); w.Write(0x1000UL);
        elf[0x1000] = 0xf4; // hlt
        return elf;
    }
}
