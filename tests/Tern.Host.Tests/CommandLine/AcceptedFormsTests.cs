using Tern.Devices.Config;

namespace Tern.Host.Tests.CommandLine;

/// <summary>Every option's accepted spellings and the config each produces.</summary>
public sealed class AcceptedFormsTests : CommandLineTestBed
{
    [Theory]
    [InlineData("q35", true, false)]
    [InlineData("type=q35", true, false)]
    [InlineData("Q35", true, false)]
    [InlineData("q35,dump-guest-core=off,mem-share=on", false, true)]
    [InlineData("type=q35,dump_guest_core=no,mem-share=off,accel=kvm,usb=off", false, false)]
    public void Machine_forms(string value, bool dumpGuestCore, bool memShare)
    {
        var config = Parse("-machine", value);
        Assert.Equal("q35", config.MachineType);
        Assert.Equal(new MachineOptions(dumpGuestCore, memShare), config.Machine);
    }

    [Fact]
    public void Memory_backing_defaults_to_anonymous_on_demand() => Assert.Equal(new MemoryBackingConfig(), Parse().MemoryBacking);

    [Fact]
    public void Mem_path_directory_and_prealloc()
    {
        string dir = Path.GetTempPath().TrimEnd('/');
        Assert.Equal(new MemoryBackingConfig(dir, true), Parse("-mem-path", dir, "-mem-prealloc").MemoryBacking);
    }

    [Fact]
    public void Mem_path_new_file_in_an_existing_directory()
    {
        string file = Path.Combine(Path.GetTempPath(), $"tern-ram-{Guid.NewGuid():N}");
        Assert.Equal(new MemoryBackingConfig(file, false), Parse("-mem-path", file).MemoryBacking);
        Assert.False(File.Exists(file)); // parsing creates nothing
    }

    [Theory]
    [InlineData("512M", 512UL << 20)]
    [InlineData("512m", 512UL << 20)]
    [InlineData("size=512M", 512UL << 20)]
    [InlineData("512", 512UL << 20)]          // StratoVirt's default unit is MiB
    [InlineData("size=64", 64UL << 20)]
    [InlineData("1G", 1UL << 30)]
    [InlineData("2g", 2UL << 30)]
    [InlineData("524288K", 512UL << 20)]
    [InlineData("65536k", 64UL << 20)]
    [InlineData("536870912B", 512UL << 20)]   // QEMU's bytes suffix
    [InlineData("33554432b", 32UL << 20)]     // exactly the minimum
    public void Memory_forms(string value, ulong bytes) => Assert.Equal(bytes, Parse("-m", value).MemoryBytes);

    [Fact]
    public void Memory_up_to_what_the_host_can_back_is_accepted()
    {
        Host = new FakeHost(1UL << 30);
        Assert.Equal(1UL << 30, Parse("-m", "1G").MemoryBytes);
    }

    [Theory]
    [InlineData("2", 2, 2, 1, 1, 1, 2, 1)]
    [InlineData("cpus=4", 4, 4, 1, 1, 1, 4, 1)]
    [InlineData("254", 254, 254, 1, 1, 1, 254, 1)]
    [InlineData("4,sockets=2", 4, 4, 2, 1, 1, 2, 1)]
    [InlineData("4,sockets=1,cores=2", 4, 4, 1, 1, 1, 2, 2)]
    [InlineData("4,cores=2", 4, 4, 2, 1, 1, 2, 1)]
    [InlineData("8,sockets=2,dies=2", 8, 8, 2, 2, 1, 2, 1)]
    [InlineData("2,maxcpus=8,sockets=2,cores=2,threads=2", 2, 8, 2, 1, 1, 2, 2)]
    [InlineData("cpus=2,sockets=1,dies=1,clusters=2,cores=1,threads=1", 2, 2, 1, 1, 2, 1, 1)]
    [InlineData("2,maxcpus=4", 2, 4, 1, 1, 1, 4, 1)]
    public void Smp_forms(string value, int cpus, int max, int sockets, int dies, int clusters, int cores, int threads)
    {
        var config = Parse("-smp", value);
        Assert.Equal(cpus, config.Vcpus);
        Assert.Equal(new CpuTopology(max, sockets, dies, clusters, cores, threads), config.Topology);
    }

    [Fact]
    public void Cpu_host_hides_and_adds_features_by_canonical_name()
    {
        var cpu = Parse("-cpu", "host,-x2apic,+pdpe1gb,-arch-capabilities,-sse4_2,-SSE3,avx512f=off,rdrand=on,-sse4.2").Cpu;
        Assert.Equal("host", cpu.Model);
        Assert.Equal(["x2apic", "arch-capabilities", "sse4.2", "pni", "avx512f"], cpu.HiddenFeatures);
        Assert.Equal(["pdpe1gb", "rdrand"], cpu.EnabledFeatures);
    }

    [Theory]
    [InlineData("host")]
    [InlineData("host,pmu=off")]
    [InlineData("host,sve=off,pmu=off")]
    public void Cpu_host_without_features(string value)
    {
        var cpu = Parse("-cpu", value).Cpu;
        Assert.Equal("host", cpu.Model);
        Assert.Empty(cpu.HiddenFeatures);
        Assert.Empty(cpu.EnabledFeatures);
    }

    [Fact]
    public void Initrd_and_append_are_recorded()
    {
        var boot = Parse("-initrd", Initrd, "-append", "console=ttyS0 root=/dev/ram rdinit=/bin/sh").Boot;
        Assert.Equal(new BootConfig(Kernel, Initrd, "console=ttyS0 root=/dev/ram rdinit=/bin/sh"), boot);
    }

    [Fact]
    public void Append_of_the_boot_protocol_s_full_length_is_accepted() =>
        Assert.Equal(2047, Parse("-append", new string('x', 2047)).Boot.Cmdline.Length);

    [Fact]
    public void Append_takes_every_following_word_as_StratoVirt_does()
    {
        // StratoVirt's own examples write -append unquoted.
        var boot = Parse("-append", "root=/dev/vda", "console=ttyS0", "reboot=k", "-m", "256M", "-append", "rw").Boot;
        Assert.Equal("root=/dev/vda console=ttyS0 reboot=k rw", boot.Cmdline);
    }

    [Fact]
    public void Drive_defaults_are_read_write_and_direct()
    {
        var drive = Assert.Single(Parse("-drive", $"id=d0,file={Disk}").Drives);
        Assert.Equal(new DriveConfig("d0", Disk, ReadOnly: false, Direct: true), drive);
        Assert.Null(drive.IopsTotal);
        Assert.Null(drive.Aio);
    }

    [Fact]
    public void Drive_with_every_key()
    {
        var drive = Assert.Single(Parse("-drive",
            $"file={Disk},id=d0,readonly=on,direct=on,format=raw,if=none,throttling.iops-total=200,aio=native").Drives);
        Assert.Equal(new DriveConfig("d0", Disk, ReadOnly: true, Direct: true) { IopsTotal = 200, Aio = DriveAio.Native }, drive);
    }

    [Theory]
    [InlineData("readonly=true,direct=false,aio=off", true, false, DriveAio.Off)]
    [InlineData("readonly=yes,direct=no,aio=io_uring", true, false, DriveAio.IoUring)]
    [InlineData("readonly=no,direct=yes", false, true, null)]
    public void Drive_switches_accept_StratoVirt_spellings(string keys, bool readOnly, bool direct, DriveAio? aio)
    {
        var drive = Assert.Single(Parse("-drive", $"file={Disk},id=d0,{keys}").Drives);
        Assert.Equal((readOnly, direct, aio), (drive.ReadOnly, drive.Direct, drive.Aio));
    }

    [Fact]
    public void Read_only_drive_needs_no_write_access()
    {
        string? path = UnwritablePath();
        if (path is null) return;
        var drive = Assert.Single(Parse("-drive", $"file={path},id=ro,readonly=on").Drives);
        Assert.True(drive.ReadOnly);
    }

    [Theory]
    [InlineData("0", 0, 0)]
    [InlineData("3", 3, 0)]
    [InlineData("0x3", 3, 0)]
    [InlineData("0X1f", 31, 0)]
    [InlineData("0x3.0x1", 3, 1)]
    [InlineData("8.2", 8, 2)]
    [InlineData("0x10.0x4", 16, 4)]
    [InlineData("31.7", 31, 7)]
    public void Device_addr_forms(string addr, int slot, int function)
    {
        var device = Assert.Single(Parse("-drive", $"file={Disk},id=d0",
            "-device", $"virtio-blk-pci,drive=d0,id=blk0,bus=pcie.0,addr={addr}").BlockDevices);
        Assert.Equal(new PciAddress((byte)slot, (byte)function), device.Address);
    }

    [Fact]
    public void Device_with_every_key()
    {
        var device = Assert.Single(Parse("-drive", $"file={Disk},id=d0", "-device",
            "virtio-blk-pci,id=blk0,drive=d0,bus=pcie.0,addr=0x3.0x0,multifunction=on,serial=SN-0001,num-queues=4,queue-size=256,bootindex=1").BlockDevices);
        Assert.Equal(new BlockDeviceConfig("blk0", "d0", "pcie.0", new PciAddress(3, 0), "SN-0001")
        {
            Multifunction = true,
            NumQueues = 4,
            QueueSize = 256,
            BootIndex = 1,
        }, device);
    }

    [Fact]
    public void Two_devices_may_share_a_slot_on_different_functions()
    {
        var devices = Parse(
            "-drive", $"file={Disk},id=d0", "-drive", $"file={Disk2},id=d1",
            "-device", "virtio-blk-pci,drive=d0,id=a,bus=pcie.0,addr=0x3.0x0,multifunction=on",
            "-device", "virtio-blk-pci,drive=d1,id=b,bus=pcie.0,addr=0x3.0x1").BlockDevices;
        Assert.Equal([new PciAddress(3, 0), new PciAddress(3, 1)], devices.Select(d => d.Address));
    }

    [Fact]
    public void Drive_and_device_ids_are_separate_namespaces()
    {
        var config = Parse("-drive", $"file={Disk},id=rootfs", "-device", "virtio-blk-pci,drive=rootfs,id=rootfs,bus=pcie.0,addr=1");
        Assert.Equal("rootfs", config.Drives[0].Id);
        Assert.Equal("rootfs", config.BlockDevices[0].Id);
    }

    [Fact]
    public void Serial_forms()
    {
        string log = Path.Combine(Dir, "serial.log");
        Assert.Equal(new SerialConfig(SerialKind.Stdio, null), Parse("-serial", "stdio").Serial);
        Assert.Equal(new SerialConfig(SerialKind.None, null), Parse("-serial", "none").Serial);
        Assert.Equal(new SerialConfig(SerialKind.File, log), Parse("-serial", $"file:{log}").Serial);
        Assert.Equal(new SerialConfig(SerialKind.File, log), Parse("-serial", $"file,path={log}").Serial);
        Assert.False(File.Exists(log));
    }

    [Theory]
    [InlineData("unix:/tmp/x.sock,server,nowait", QmpTransport.Unix, "/tmp/x.sock", 0)]
    [InlineData("unix:/tmp/x.sock,nowait,server", QmpTransport.Unix, "/tmp/x.sock", 0)]
    [InlineData("unix:/tmp/x.sock,server=on,wait=off", QmpTransport.Unix, "/tmp/x.sock", 0)]
    [InlineData("tcp:127.0.0.1:4444,server,nowait", QmpTransport.Tcp, "127.0.0.1", 4444)]
    [InlineData("tcp:0.0.0.0:65535,server,nowait", QmpTransport.Tcp, "0.0.0.0", 65535)]
    [InlineData("tcp:[::1]:4444,server,nowait", QmpTransport.Tcp, "::1", 4444)]
    [InlineData("tcp:[fe80::1%2]:1,server,nowait", QmpTransport.Tcp, "fe80::1%2", 1)]
    public void Qmp_forms(string value, QmpTransport transport, string pathOrHost, int port) =>
        Assert.Equal(new QmpEndpoint(transport, pathOrHost, port), Parse("-qmp", value).Qmp);

    [Theory]
    [InlineData("tcp:192.168.0.1:4446", MigrationTransport.Tcp, "192.168.0.1", 4446)]
    [InlineData("TCP:10.0.0.2:1", MigrationTransport.Tcp, "10.0.0.2", 1)]
    [InlineData("tcp:[2001:db8::7]:4446", MigrationTransport.Tcp, "2001:db8::7", 4446)]
    [InlineData("unix:/tmp/stratovirt-migrate.socket", MigrationTransport.Unix, "/tmp/stratovirt-migrate.socket", 0)]
    [InlineData("Unix:/tmp/m.sock", MigrationTransport.Unix, "/tmp/m.sock", 0)]
    [InlineData("unix:@tern/0a1b/7/migration", MigrationTransport.Unix, "@tern/0a1b/7/migration", 0)] // abstract: no directory to check
    public void Incoming_forms(string value, MigrationTransport transport, string pathOrHost, int port)
    {
        var config = Parse("-incoming", value);
        Assert.Equal(value, config.Incoming);
        Assert.Equal(new MigrationEndpoint(transport, pathOrHost, port), config.IncomingEndpoint);
    }

    [Fact]
    public void Incoming_defer_waits_for_migrate_incoming_to_name_the_address()
    {
        var config = Parse("-incoming", "defer");
        Assert.True(config.IncomingDeferred);
        Assert.True(config.AwaitsMigration);
        Assert.Null(config.IncomingEndpoint);
        Assert.False(Parse().AwaitsMigration);
    }

    [Theory]
    [InlineData("vm1", "vm1")]
    [InlineData("guest=vm1,debug-threads=on", "vm1")]
    public void Name_forms(string value, string name) => Assert.Equal(name, Parse("-name", value).Name);

    [Fact]
    public void Process_options_are_recorded_without_creating_files()
    {
        string pid = Path.Combine(Dir, "tern.pid");
        string log = Path.Combine(Dir, "tern.log");
        var config = Parse("-pidfile", pid, "-D", log, "-disable-seccomp");
        Assert.Equal(new ProcessOptions { PidFile = pid, LogEnabled = true, LogFile = log, DisableSeccomp = true }, config.Process);
        Assert.False(File.Exists(pid));
        Assert.False(File.Exists(log));
    }

    [Fact]
    public void Log_without_a_file_goes_to_stderr()
    {
        var process = Parse("-D", "-m", "256M").Process;
        Assert.True(process.LogEnabled);
        Assert.Null(process.LogFile);
    }

    [Theory]
    [InlineData("-S")]
    [InlineData("-freeze")]
    public void Freeze_starts_paused(string option) => Assert.True(Parse(option).StartPaused);

    [Fact]
    public void Libvirt_options_StratoVirt_ignores_are_ignored()
    {
        var config = Parse("-nodefaults", "-nographic", "-no-user-config", "-rtc", "base=utc", "-sandbox", "on", "-m", "256M");
        Assert.Equal(256UL << 20, config.MemoryBytes);
    }

    [Fact]
    public void Options_may_come_in_any_order()
    {
        var config = ParseExactly("-m", "1G", "-serial", "stdio", "-kernel", Kernel, "-smp", "cpus=2", "-machine", "q35");
        Assert.Equal((1UL << 30, 2, SerialKind.Stdio), (config.MemoryBytes, config.Vcpus, config.Serial.Kind));
    }
}
