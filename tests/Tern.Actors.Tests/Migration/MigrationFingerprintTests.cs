using System.Text;
using Tern.Devices.Config;

namespace Tern.Actors.Tests.Migration;

public sealed class MigrationFingerprintTests
{
    private static VmConfig Config(Func<VmConfig, VmConfig>? edit = null)
    {
        var config = new VmConfig
        {
            Boot = new BootConfig("/boot/vmlinux", null, "console=ttyS0"),
            MemoryBytes = 512UL << 20,
            Vcpus = 2,
            Drives =
            [
                new DriveConfig("rootfs", "/images/root.img", ReadOnly: false, Direct: true),
                new DriveConfig("data", "/images/data.img", ReadOnly: true, Direct: false),
            ],
            BlockDevices =
            [
                new BlockDeviceConfig("blk1", "data", "pcie.0", new PciAddress(3, 0), null),
                new BlockDeviceConfig("blk0", "rootfs", "pcie.0", new PciAddress(2, 0), "A"),
            ],
        };
        return edit is null ? config : edit(config);
    }

    private static IReadOnlyList<string> Differences(Func<VmConfig, VmConfig> destination) =>
        MigrationFingerprint.From(Config()).Differences(MigrationFingerprint.From(Config(destination)));

    private static VmConfig WithDevice(VmConfig c, int index, Func<BlockDeviceConfig, BlockDeviceConfig> edit) =>
        c with { BlockDevices = c.BlockDevices.Select((d, i) => i == index ? edit(d) : d).ToArray() };

    private static VmConfig WithDrive(VmConfig c, string id, Func<DriveConfig, DriveConfig> edit) =>
        c with { Drives = c.Drives.Select(d => d.Id == id ? edit(d) : d).ToArray() };

    [Fact]
    public void Equal_configs_give_equal_fingerprints_whatever_the_host_only_settings()
    {
        var a = MigrationFingerprint.From(Config());
        var b = MigrationFingerprint.From(Config(c => c with
        {
            Name = "elsewhere",
            Boot = new BootConfig("/other/kernel", "/initrd", ""),
            Qmp = new QmpEndpoint(QmpTransport.Unix, "/run/qmp.sock"),
            Incoming = "tcp:0.0.0.0:4444",
            Process = new ProcessOptions { PidFile = "/run/tern.pid" },
            Drives = c.Drives.Select(d => d with { Direct = !d.Direct }).ToArray(),
        }));
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.Empty(a.Differences(b));
    }

    [Fact]
    public void Devices_are_listed_by_address_with_resolved_defaults_and_absolute_paths()
    {
        var f = MigrationFingerprint.From(Config(c => WithDrive(c, "data", d => d with { Path = "relative/data.img" })));
        Assert.Equal(["0x2", "0x3"], f.Devices.Select(d => d.Addr));
        var blk0 = f.Devices[0];
        Assert.Equal(("virtio-blk-pci", "pcie.0", "blk0", 2, 256), (blk0.Kind, blk0.Bus, blk0.Id, blk0.Queues, blk0.QueueSize));
        Assert.Equal(new MigrationDriveFingerprint("rootfs", "/images/root.img", false, "A"), blk0.Drive);
        Assert.Equal(Path.GetFullPath("relative/data.img"), f.Devices[1].Drive!.Path);
        Assert.True(f.Devices[1].Drive!.ReadOnly);
        Assert.Equal("maxcpus=2,sockets=1,dies=1,clusters=1,cores=2,threads=1", f.Topology);
    }

    [Fact]
    public void Json_round_trips_and_leaves_out_absent_fields()
    {
        var f = MigrationFingerprint.From(Config(c => c with { Cpu = new CpuConfig { HiddenFeatures = ["avx512f", "aes"], EnabledFeatures = ["x2apic"] } }));
        byte[] json = f.ToJson();
        Assert.Equal(f, MigrationFingerprint.FromJson(json));
        string text = Encoding.UTF8.GetString(json);
        Assert.Contains("\"memoryBytes\":536870912", text);
        Assert.Equal("+x2apic,-aes,-avx512f", f.CpuFeatures);
        Assert.DoesNotContain("\"mac\"", text);
        Assert.DoesNotContain("\"serial\"", Encoding.UTF8.GetString(MigrationFingerprint.From(Config(c => WithDevice(c, 1, d => d with { Serial = null }))).ToJson()));
    }

    public static TheoryData<string, string> Phrases => new()
    {
        { "memory", "memory size 512 MiB on the source, 1024 MiB here" },
        { "memory bytes", "memory size 512 MiB on the source, 536875008 bytes here" },
        { "vcpus", "vCPU count 2 on the source, 4 here|device 'blk0' num-queues 2 on the source, 4 here|device 'blk1' num-queues 2 on the source, 4 here" },
        { "machine", "machine type 'q35' on the source, 'microvm' here" },
        { "topology", "CPU topology 'maxcpus=2,sockets=1,dies=1,clusters=1,cores=2,threads=1' on the source, 'maxcpus=2,sockets=2,dies=1,clusters=1,cores=1,threads=1' here" },
        { "cpu model", "CPU model 'host' on the source, 'max' here" },
        { "cpu features", "CPU features none on the source, '-avx512f' here" },
        { "device missing", "device at pcie.0 addr 0x3: virtio-blk-pci on the source, nothing here" },
        { "device extra", "device at pcie.0 addr 0x4: nothing on the source, virtio-blk-pci here" },
        { "device moved", "device at pcie.0 addr 0x3: virtio-blk-pci on the source, nothing here|device at pcie.0 addr 0x5: nothing on the source, virtio-blk-pci here" },
        { "kind", "device at pcie.0 addr 0x2: virtio-blk-pci on the source, virtio-net-pci here" },
        { "id", "device at pcie.0 addr 0x2: id 'blk0' on the source, 'disk0' here" },
        { "queues", "device 'blk0' num-queues 2 on the source, 4 here" },
        { "queue size", "device 'blk0' queue-size 256 on the source, 1024 here" },
        { "serial", "drive 'rootfs' serial 'A' on the source, 'B' here" },
        { "serial removed", "drive 'rootfs' serial 'A' on the source, none here" },
        { "path", "drive 'rootfs' path '/images/root.img' on the source, '/images/other.img' here" },
        { "read-only", "drive 'rootfs' read-write on the source, read-only here" },
        { "drive id", "device 'blk0' drive 'rootfs' on the source, 'root2' here" },
        { "mac", "device 'blk0' MAC none on the source, '52:54:00:12:34:56' here" },
        { "control characters", "machine type 'q35' on the source, 'q35\\u000a\\u001b[31m' here" },
    };

    [Theory]
    [MemberData(nameof(Phrases))]
    public void Each_difference_is_one_short_phrase(string what, string expected)
    {
        var destination = what switch
        {
            "memory" => MigrationFingerprint.From(Config(c => c with { MemoryBytes = 1UL << 30 })),
            "memory bytes" => MigrationFingerprint.From(Config(c => c with { MemoryBytes = (512UL << 20) + 4096 })),
            "vcpus" => MigrationFingerprint.From(Config(c => c with { Vcpus = 4, Topology = CpuTopology.SingleSocket(2) })),
            "machine" => MigrationFingerprint.From(Config(c => c with { MachineType = "microvm" })),
            "topology" => MigrationFingerprint.From(Config(c => c with { Topology = new CpuTopology(2, 2, 1, 1, 1, 1) })),
            "cpu model" => MigrationFingerprint.From(Config(c => c with { Cpu = new CpuConfig("max") })),
            "cpu features" => MigrationFingerprint.From(Config(c => c with { Cpu = new CpuConfig { HiddenFeatures = ["avx512f"] } })),
            "device missing" => MigrationFingerprint.From(Config(c => c with { BlockDevices = [c.BlockDevices[1]] })),
            "device extra" => MigrationFingerprint.From(Config(c => c with
            {
                Drives = [.. c.Drives, new DriveConfig("scratch", "/images/scratch.img", false, false)],
                BlockDevices = [.. c.BlockDevices, new BlockDeviceConfig("blk2", "scratch", "pcie.0", new PciAddress(4, 0), null)],
            })),
            "device moved" => MigrationFingerprint.From(Config(c => WithDevice(c, 0, d => d with { Address = new PciAddress(5, 0) }))),
            "kind" => Edit(0, d => d with { Kind = "virtio-net-pci" }),
            "id" => MigrationFingerprint.From(Config(c => WithDevice(c, 1, d => d with { Id = "disk0" }))),
            "queues" => MigrationFingerprint.From(Config(c => WithDevice(c, 1, d => d with { NumQueues = 4 }))),
            "queue size" => MigrationFingerprint.From(Config(c => WithDevice(c, 1, d => d with { QueueSize = 1024 }))),
            "serial" => MigrationFingerprint.From(Config(c => WithDevice(c, 1, d => d with { Serial = "B" }))),
            "serial removed" => MigrationFingerprint.From(Config(c => WithDevice(c, 1, d => d with { Serial = null }))),
            "path" => MigrationFingerprint.From(Config(c => WithDrive(c, "rootfs", d => d with { Path = "/images/other.img" }))),
            "read-only" => MigrationFingerprint.From(Config(c => WithDrive(c, "rootfs", d => d with { ReadOnly = true }))),
            "drive id" => MigrationFingerprint.From(Config(c => WithDevice(WithDrive(c, "rootfs", d => d with { Id = "root2" }), 1, d => d with { DriveId = "root2" }))),
            "mac" => Edit(0, d => d with { Mac = "52:54:00:12:34:56" }),
            "control characters" => MigrationFingerprint.From(Config(c => c with { MachineType = "q35\n\u001b[31m" })),
            _ => throw new ArgumentException(what),
        };
        Assert.Equal(expected.Split('|'), MigrationFingerprint.From(Config()).Differences(destination));
    }

    /// <summary>Edits one device entry directly (for kinds and fields the VmConfig cannot express yet).</summary>
    private static MigrationFingerprint Edit(int index, Func<MigrationDeviceFingerprint, MigrationDeviceFingerprint> edit)
    {
        var f = MigrationFingerprint.From(Config());
        return f with { Devices = f.Devices.Select((d, i) => i == index ? edit(d) : d).ToArray() };
    }

    [Fact]
    public void A_standby_with_its_own_disk_copies_may_name_other_files_only_for_writable_drives()
    {
        var source = MigrationFingerprint.From(Config());
        var standby = MigrationFingerprint.From(Config(c => WithDrive(WithDrive(c, "rootfs", d => d with { Path = "/copies/root.img" }),
            "data", d => d with { Path = "/copies/data.img" })));
        Assert.Equal(["drive 'data' path '/images/data.img' on the source, '/copies/data.img' here"], source.Differences(standby, ownDiskCopies: true));
        Assert.Equal(2, source.Differences(standby).Count);
    }

    [Fact]
    public void Several_differences_are_all_named()
    {
        var found = Differences(c => WithDrive(c with { MemoryBytes = 1UL << 30, MachineType = "pc" }, "data", d => d with { ReadOnly = false }));
        Assert.Equal(["machine type 'q35' on the source, 'pc' here", "memory size 512 MiB on the source, 1024 MiB here",
            "drive 'data' read-only on the source, read-write here"], found);
    }

    [Fact]
    public void Long_hostile_values_are_shortened_in_phrases()
    {
        var source = MigrationFingerprint.From(Config()) with { MachineType = new string('m', 5000) };
        string phrase = Assert.Single(source.Differences(MigrationFingerprint.From(Config())));
        Assert.True(phrase.Length < 200, phrase);
    }

    public static TheoryData<string, string> BadJson => new()
    {
        { "{", "fingerprint JSON is invalid*" },
        { "null", "fingerprint JSON is null" },
        { "[]", "fingerprint JSON is invalid*" },
        { """{"machineType":"q35"}""", "fingerprint JSON is invalid*" },
        { "UNKNOWN", "fingerprint JSON is invalid at $*" },
        { "NULLDEVICE", "fingerprint device 0 is null" },
        { "NULLKIND", "fingerprint JSON is invalid at $.devices[0].kind*" },
        { "DUPLICATE", "fingerprint JSON is invalid*" },
        { "DEEP", "fingerprint JSON is invalid*" },
        { "LONGSTRING", "fingerprint field machineType of 5000 characters is over the limit 4096" },
        { "TOOBIG", "fingerprint of 1048577 bytes is over the 1 MiB limit" },
    };

    [Theory]
    [MemberData(nameof(BadJson))]
    public void Hostile_json_is_refused(string json, string message)
    {
        string valid = Encoding.UTF8.GetString(MigrationFingerprint.From(Config()).ToJson());
        string text = json switch
        {
            "UNKNOWN" => valid.Replace("\"vcpus\":2", "\"vcpus\":2,\"hugepages\":true"),
            "NULLDEVICE" => valid.Replace("\"devices\":[", "\"devices\":[null,"),
            "NULLKIND" => valid.Replace("\"kind\":\"virtio-blk-pci\"", "\"kind\":null"),
            "DUPLICATE" => valid.Replace("\"vcpus\":2", "\"vcpus\":2,\"vcpus\":3"),
            "DEEP" => valid.Replace("\"devices\":[", "\"devices\":[" + new string('[', 20) + new string(']', 20) + ","),
            "LONGSTRING" => valid.Replace("\"machineType\":\"q35\"", $"\"machineType\":\"{new string('m', 5000)}\""),
            "TOOBIG" => valid + new string(' ', (1 << 20) + 1 - valid.Length),
            _ => json,
        };
        Assert.NotEqual(valid, text);
        var e = Assert.Throws<MigrationFingerprintException>(() => MigrationFingerprint.FromJson(Encoding.UTF8.GetBytes(text)));
        if (message.EndsWith('*')) Assert.StartsWith(message[..^1], e.Message);
        else Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Damaged_json_only_ever_fails_as_a_fingerprint_fault()
    {
        var valid = MigrationFingerprint.From(Config()).ToJson();
        var random = new Random(17);
        for (int n = 0; n < 5000; n++)
        {
            var damaged = (byte[])valid.Clone();
            for (int k = random.Next(1, 4); k > 0; k--) damaged[random.Next(damaged.Length)] = (byte)random.Next(256);
            try
            {
                MigrationFingerprint.FromJson(damaged);
            }
            catch (MigrationFingerprintException)
            {
            }
        }
    }
}
