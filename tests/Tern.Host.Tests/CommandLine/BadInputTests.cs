namespace Tern.Host.Tests.CommandLine;

/// <summary>Each bad input fails with a one-line message that names the culprit.</summary>
public sealed class BadInputTests : CommandLineTestBed
{
    // ---- argv shape ----

    [Fact] public void Unknown_option() => Assert.Equal("unknown option '-foo'", Fails(["-foo"]));
    [Fact] public void Value_before_any_option() => FailsExactly(["stray", "-kernel", Kernel], "unexpected argument 'stray'");
    [Fact] public void Option_missing_its_value_at_the_end() => Fails(["-m"], "option '-m' needs a value");
    [Fact] public void Option_missing_its_value_before_another_option() => FailsExactly(["-kernel", "-m", "512M"], "option '-kernel' needs a value");
    [Fact] public void Option_with_two_values() => Fails(["-m", "512M", "1G"], "option '-m'", "extra '1G'");
    [Fact] public void Flag_with_a_value() => Fails(["-disable-seccomp", "yes"], "'-disable-seccomp' takes no value", "'yes'");
    [Fact] public void Option_given_twice() => Fails(["-m", "512M", "-m", "1G"], "option '-m' given more than once");
    [Fact] public void Kernel_is_required() => FailsExactly(["-m", "512M"], "'-kernel' is required");
    [Fact] public void Daemonize_is_not_supported() => Fails(["-daemonize"], "'-daemonize' is not supported");

    // ---- -machine ----

    [Fact]
    public void Machine_other_than_q35() =>
        Assert.Equal("unsupported machine type 'virt': only q35 is supported", Fails(["-machine", "virt"]));

    [Theory]
    [InlineData("microvm", "'microvm'")]
    [InlineData("type=none", "'none'")]
    [InlineData("q35,foo=bar", "unknown -machine key 'foo'")]
    [InlineData("q35,mem-share=maybe", "'maybe'", "mem-share")]
    [InlineData("q35,accel=tcg", "'tcg'")]
    [InlineData("q35,type=q35", "'type' given twice")]
    [InlineData("q35,,mem-share=on", "empty item")]
    public void Machine_bad_forms(string value, params string[] fragments) => Fails(["-machine", value], fragments);

    // ---- -mem-path, -mem-prealloc ----

    [Fact] public void Mem_path_relative() => Assert.Equal("-mem-path 'hugepages' is not an absolute path", Fails(["-mem-path", "hugepages"]));
    [Fact] public void Mem_path_in_a_missing_directory() => Fails(["-mem-path", "/nonexistent-tern/ram"], "-mem-path", "'/nonexistent-tern'", "does not exist");
    [Fact] public void Mem_path_not_a_file_or_directory() => Fails(["-mem-path", "/dev/null"], "-mem-path '/dev/null'", "neither a directory nor a regular file");
    [Fact] public void Mem_path_needs_a_value() => Fails(["-mem-path"], "-mem-path");
    [Fact] public void Mem_prealloc_takes_no_value() => Fails(["-mem-prealloc", "yes"], "yes");

    // ---- -m ----

    [Theory]
    [InlineData("12X", "bad memory size '12X'")]
    [InlineData("G", "bad memory size 'G'")]
    [InlineData("G6", "bad memory size 'G6'")]
    [InlineData("6Gg", "bad memory size '6Gg'")]
    [InlineData("M6M", "bad memory size 'M6M'")]
    [InlineData("1.5G", "bad memory size '1.5G'")]
    [InlineData("0x100M", "bad memory size '0x100M'")]
    [InlineData("size=", "bad memory size ''")]
    public void Memory_bad_size(string value, string message) => Assert.Equal(message, Fails(["-m", value]));

    [Fact] public void Memory_overflow() => Fails(["-m", "99999999999999999G"], "'99999999999999999G'", "too large");
    [Fact] public void Memory_unknown_key() => Fails(["-m", "512M,maxmem=1G"], "unknown -m key 'maxmem'");
    [Fact] public void Memory_below_minimum() => Fails(["-m", "16M"], "'16M'", "minimum 32M");
    [Fact] public void Memory_zero() => Fails(["-m", "0"], "'0'", "minimum");
    [Fact] public void Memory_not_whole_pages() => Fails(["-m", "32769K"], "'32769K'", "multiple of 4K");

    /// <summary>Issue 16: the limits come from VmConfig.Problems; the command line accepts exactly what it accepts.</summary>
    [Fact]
    public void Every_limit_is_accepted_at_the_edge_and_refused_past_it()
    {
        Assert.Equal(32UL << 20, Parse("-m", "32M").MemoryBytes);
        Assert.Equal(254, Parse("-smp", "254").Vcpus);
        Assert.Equal(2047, Parse("-append", new string('x', 2047)).Boot.Cmdline.Length);
        Assert.Equal("memory size '32764K' (33550336 bytes) is less than the minimum 32M", Fails(["-m", "32764K"]));
        Assert.Equal("'cpus=255' in -smp is out of range 1..254", Fails(["-smp", "255"]));
        Assert.Equal("-smp maxcpus 255 is out of range 2..254", Fails(["-smp", "2,maxcpus=255"]));
        Assert.Equal("-append command line is 2048 bytes, more than 2047", Fails(["-append", new string('x', 2048)]));
    }

    [Fact]
    public void Memory_more_than_the_host_can_back_names_both_values()
    {
        Host = new FakeHost(1UL << 30);
        Fails(["-m", "2G"], "'2G'", "2147483648", "MemTotal + SwapTotal", "1073741824");
    }

    // ---- -smp ----

    [Theory]
    [InlineData("abc", "bad number 'abc' for 'cpus'")]
    [InlineData("0", "'cpus=0'", "1..254")]
    [InlineData("255", "'cpus=255'", "1..254")]
    [InlineData("4,maxcpus=2", "maxcpus 2", "4..254")]
    [InlineData("4,sockets=3", "must equal maxcpus 4")]
    [InlineData("2,maxcpus=8,sockets=3,cores=2", "must equal maxcpus 8")]
    [InlineData("4,dies=0", "'dies=0'")]
    [InlineData("sockets=2", "-smp is missing 'cpus='")]
    [InlineData("2,cpu=2", "unknown -smp key 'cpu'")]
    public void Smp_bad_forms(string value, params string[] fragments) => Fails(["-smp", value], fragments);

    // ---- -cpu ----

    [Theory]
    [InlineData("qemu64", "unsupported cpu model 'qemu64'")]
    [InlineData("+x2apic", "unsupported cpu model '+x2apic'")]
    [InlineData("host,-x2apic,-x2apic", "'-x2apic' given twice")]
    [InlineData("host,-foo", "unknown cpu feature 'foo'")]
    [InlineData("host,+avx1024", "unknown cpu feature 'avx1024'")]
    [InlineData("host,bogus=off", "unknown cpu feature 'bogus'")]
    [InlineData("host,-x2apic,+x2apic", "'x2apic' is both enabled and disabled")]
    [InlineData("host,x2apic=maybe", "'maybe'", "x2apic")]
    [InlineData("host,pmu=on", "pmu=on")]
    public void Cpu_bad_forms(string value, params string[] fragments) => Fails(["-cpu", value], fragments);

    /// <summary>Issue 15: these said "unknown option '-5'"; an option still missing its value takes it and names it.</summary>
    [Theory]
    [InlineData(new[] { "-m", "-5" }, "bad memory size '-5'")]
    [InlineData(new[] { "-smp", "-1" }, "bad number '-1' for 'cpus' in -smp")]
    [InlineData(new[] { "-cpu", "-x2apic" }, "unsupported cpu model '-x2apic'")]
    [InlineData(new[] { "-name", "-vm" }, "")]
    public void Value_starting_with_a_dash_after_an_option_that_needs_one_is_its_value(string[] args, string fragment)
    {
        if (fragment.Length == 0) Assert.Equal("-vm", Parse(args).Name);
        else Fails(args, fragment);
    }

    /// <summary>Issue 15: a 10 KB value came back whole in the message.</summary>
    [Theory]
    [InlineData("-machine", "")]
    [InlineData("-serial", "")]
    [InlineData("-kernel", "/nonexistent/")]
    [InlineData("-incoming", "unix:/")]
    [InlineData("-qmp", "tcp:")]
    [InlineData("-name", "")]
    [InlineData("-device", "virtio-blk-pci,id=d0,bus=")]
    [InlineData("-frobnicate", "-")]
    public void A_huge_value_is_clipped_in_the_message(string option, string prefix)
    {
        string huge = prefix + new string('x', 10_000);
        string[] args = option == "-frobnicate" ? ["-kernel", Kernel, "-m", "512M", huge] : ["-kernel", Kernel, option, huge];
        if (option == "-kernel") args = [option, huge];
        string message = FailsExactly(args);
        Assert.True(message.Length < 200, message);
        Assert.Contains("xxx...xxx", message);
    }

    [Fact] public void A_dash_argument_after_a_complete_option_is_still_an_option() => Fails(["-m", "512M", "-5"], "unknown option '-5'");
    [Fact] public void A_known_option_never_becomes_a_value() => Fails(["-m", "-S"], "option '-m' needs a value");

    // ---- -kernel, -initrd, -append ----

    [Fact] public void Kernel_missing() => FailsExactly(["-kernel", "/nonexistent/vmlinux"], "kernel file '/nonexistent/vmlinux' does not exist");
    [Fact] public void Kernel_is_a_directory() => FailsExactly(["-kernel", Dir], $"kernel '{Dir}' is not a regular file");
    [Fact] public void Kernel_is_a_device() => FailsExactly(["-kernel", "/dev/null"], "kernel '/dev/null' is not a regular file");
    [Fact] public void Initrd_missing() => Fails(["-initrd", Path.Combine(Dir, "nope")], "initrd file", "nope", "does not exist");

    [Fact]
    public void Kernel_unreadable()
    {
        string? path = UnreadablePath();
        if (path is null) return;
        FailsExactly(["-kernel", path], $"kernel file '{path}' is not readable");
    }

    [Fact]
    public void Append_too_long() => Fails(["-append", new string('x', 70000)], "-append", "70000 bytes");

    /// <summary>Issue 15: the limit is the boot protocol's (2047 bytes and the NUL), counted in UTF-8 bytes.</summary>
    [Theory]
    [InlineData(2048, 'x')]
    [InlineData(1024, '\u00e9')] // two bytes each in UTF-8
    public void Append_longer_than_the_kernel_takes(int count, char unit) =>
        Fails(["-append", new string(unit, count)], "-append command line is 2048 bytes, more than 2047");

    // ---- -drive ----

    [Fact] public void Drive_file_missing() => Fails(["-drive", "file=/nonexistent/disk.img,id=d0"], "drive 'd0'", "'/nonexistent/disk.img' does not exist");
    [Fact] public void Drive_file_is_a_character_device() => Fails(["-drive", "file=/dev/null,id=d0"], "'/dev/null' is not a regular file or block device");
    [Fact] public void Drive_file_is_a_directory() => Fails(["-drive", $"file={Dir},id=d0"], $"'{Dir}' is not a regular file or block device");
    [Fact] public void Drive_unknown_key() => Fails(["-drive", $"file={Disk},id=d0,cache=none"], "unknown -drive key 'cache'");
    [Fact] public void Drive_missing_id() => Fails(["-drive", $"file={Disk}"], "-drive is missing 'id='");
    [Fact] public void Drive_missing_file() => Fails(["-drive", "id=d0"], "-drive is missing 'file='");
    [Fact] public void Drive_empty_id() => Fails(["-drive", $"file={Disk},id="], "-drive id is empty");
    [Fact] public void Drive_qcow2() => Fails(["-drive", $"file={Disk},id=d0,format=qcow2"], "unsupported drive format 'qcow2'");
    [Fact] public void Drive_pflash() => Fails(["-drive", $"file={Disk},id=d0,if=pflash"], "unsupported drive interface 'pflash'");
    [Fact] public void Drive_bad_switch() => Fails(["-drive", $"file={Disk},id=d0,readonly=maybe"], "'maybe'", "readonly");
    [Fact] public void Drive_bad_iops() => Fails(["-drive", $"file={Disk},id=d0,throttling.iops-total=lots"], "'lots'", "throttling.iops-total");
    [Fact] public void Drive_iops_too_high() => Fails(["-drive", $"file={Disk},id=d0,throttling.iops-total=1000001"], "throttling.iops-total=1000001");
    [Fact] public void Drive_bad_aio() => Fails(["-drive", $"file={Disk},id=d0,aio=threads"], "bad aio 'threads'");
    [Fact] public void Drive_native_aio_without_direct() => Fails(["-drive", $"file={Disk},id=d0,direct=off,aio=native"], "drive 'd0'", "aio=native");
    [Fact] public void Drive_key_twice() => Fails(["-drive", $"file={Disk},id=d0,id=d1"], "'id' given twice in -drive");
    [Fact] public void Drive_key_without_value() => Fails(["-drive", $"file={Disk},id=d0,readonly"], "'readonly' in -drive needs a value");

    [Fact]
    public void Drive_unreadable()
    {
        string? path = UnreadablePath();
        if (path is null) return;
        Fails(["-drive", $"file={path},id=d0,readonly=on"], $"drive 'd0' file '{path}' is not readable");
    }

    [Fact]
    public void Read_write_drive_must_be_writable()
    {
        string? path = UnwritablePath();
        if (path is null) return;
        Fails(["-drive", $"file={path},id=d0,readonly=off"], $"drive 'd0' file '{path}' is not writable");
    }

    [Fact]
    public void Duplicate_drive_id() =>
        Fails(["-drive", $"file={Disk},id=d0", "-drive", $"file={Disk2},id=d0"], "duplicate drive id 'd0'");

    // ---- -device ----

    private string[] WithDrives(params string[] rest) =>
        ["-drive", $"file={Disk},id=d0", "-drive", $"file={Disk2},id=d1", .. rest];

    [Fact]
    public void Device_other_than_virtio_blk_or_net_pci() =>
        Assert.Equal("unsupported device 'e1000' (virtio-blk-pci or virtio-net-pci)",
            Fails(["-device", "e1000,netdev=n0,id=net0,bus=pcie.0,addr=0x2"]));

    [Theory]
    [InlineData("virtio-blk-device,drive=d0,id=b", "unsupported device 'virtio-blk-device'")]
    [InlineData("virtio-blk-pci,drive=d0,bus=pcie.0,addr=3", "-device is missing 'id='")]
    [InlineData("virtio-blk-pci,id=b,bus=pcie.0,addr=3", "device 'b' is missing 'drive='")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,addr=3", "device 'b' is missing 'bus='")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,bus=pcie.0", "device 'b' is missing 'addr='")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,bus=pcie.1,addr=3", "unsupported bus 'pcie.1'", "'b'")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,bus=pcie.0,addr=32", "slot 32", "'b'")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,bus=pcie.0,addr=0x3.8", "function 8", "'b'")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,bus=pcie.0,addr=abc", "bad addr 'abc'", "'b'")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,bus=pcie.0,addr=1.2.3", "bad addr '1.2.3'")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,bus=pcie.0,addr=.5", "bad addr '.5'")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,bus=pcie.0,addr=3,multifunction=maybe", "'maybe'", "multifunction")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,bus=pcie.0,addr=3,serial=123456789012345678901", "serial '123456789012345678901'")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,bus=pcie.0,addr=3,num-queues=0", "'num-queues=0'")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,bus=pcie.0,addr=3,num-queues=33", "'num-queues=33'")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,bus=pcie.0,addr=3,num-queues=two", "bad number 'two' for 'num-queues'")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,bus=pcie.0,addr=3,queue-size=100", "queue-size 100", "'b'")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,bus=pcie.0,addr=3,iothread=io0", "iothread 'io0'")]
    [InlineData("virtio-blk-pci,id=b,drive=d0,bus=pcie.0,addr=3,speed=fast", "unknown -device key 'speed'")]
    public void Device_bad_forms(string value, params string[] fragments) => Fails(WithDrives("-device", value), fragments);

    [Fact]
    public void Device_naming_no_drive() =>
        Fails(WithDrives("-device", "virtio-blk-pci,drive=nope,id=b,bus=pcie.0,addr=3"), "device 'b'", "drive 'nope'");

    [Fact]
    public void Duplicate_device_id() =>
        Fails(WithDrives(
            "-device", "virtio-blk-pci,drive=d0,id=b,bus=pcie.0,addr=3",
            "-device", "virtio-blk-pci,drive=d1,id=b,bus=pcie.0,addr=4"), "duplicate device id 'b'");

    [Fact]
    public void Drive_used_by_two_devices() =>
        Fails(WithDrives(
            "-device", "virtio-blk-pci,drive=d0,id=a,bus=pcie.0,addr=3",
            "-device", "virtio-blk-pci,drive=d0,id=b,bus=pcie.0,addr=4"), "drive 'd0' is used by both device 'a' and device 'b'");

    [Fact]
    public void Two_devices_on_one_addr_however_spelled() =>
        Fails(WithDrives(
            "-device", "virtio-blk-pci,drive=d0,id=a,bus=pcie.0,addr=3",
            "-device", "virtio-blk-pci,drive=d1,id=b,bus=pcie.0,addr=0x3.0x0"), "'a' and 'b'", "addr 0x3");

    // ---- -serial ----

    [Theory]
    [InlineData("pty", "unsupported serial backend 'pty'")]
    [InlineData("socket,path=/tmp/s.sock,server,nowait", "unsupported serial backend 'socket'")]
    [InlineData("chardev:c0", "unsupported serial backend 'chardev'")]
    [InlineData("file,path=/tmp/x.log,append=on", "unknown -serial key 'append'")]
    public void Serial_bad_forms(string value, params string[] fragments) => Fails(["-serial", value], fragments);

    [Fact]
    public void Serial_file_in_a_missing_directory() =>
        Fails(["-serial", "file:/nonexistent/dir/serial.log"], "serial file directory '/nonexistent/dir' does not exist");

    [Fact] public void Serial_file_that_is_a_directory() => FailsExactly(["-kernel", Kernel, "-serial", $"file:{Dir}"], $"serial file '{Dir}' is not a regular file");
    [Fact] public void Serial_file_that_is_a_fifo() => Fails(["-serial", $"file,path={Fifo("serial")}"], "serial file", "is not a regular file");

    [Fact]
    public void Serial_file_may_be_a_character_device() => Assert.Equal("/dev/null", Parse("-serial", "file:/dev/null").Serial.Path);

    // ---- -qmp ----

    [Theory]
    [InlineData("unix:/tmp/x.sock", "needs 'server'", "unix:/tmp/x.sock")]
    [InlineData("unix:/tmp/x.sock,nowait", "needs 'server'")]
    [InlineData("unix:/tmp/x.sock,server", "needs 'nowait'")]
    [InlineData("unix:/tmp/x.sock,server,wait=on", "needs 'nowait'")]
    [InlineData("unix:/tmp/x.sock,server,nowait,telnet", "unknown -qmp key 'telnet'")]
    [InlineData("unix:,server,nowait", "bad -qmp uri 'unix:'")]
    [InlineData("udp:127.0.0.1:4444,server,nowait", "bad -qmp uri 'udp:127.0.0.1:4444'")]
    [InlineData("/tmp/x.sock,server,nowait", "bad -qmp uri '/tmp/x.sock'")]
    [InlineData("tcp:localhost:4444,server,nowait", "bad IPv4 address 'localhost'")]
    [InlineData("tcp:256.0.0.1:4444,server,nowait", "bad IPv4 address '256.0.0.1'")]
    [InlineData("tcp:127.0.0.1:70000,server,nowait", "bad port '70000'")]
    [InlineData("tcp:127.0.0.1:0,server,nowait", "bad port '0'")]
    [InlineData("tcp:127.0.0.1,server,nowait", "bad address '127.0.0.1'")]
    [InlineData("tcp:[::1:4444,server,nowait", "bad address '[::1:4444'")]
    [InlineData("tcp:[1.2.3.4]:4444,server,nowait", "bad IPv6 address '1.2.3.4'")]
    [InlineData("tcp:::1:4444,server,nowait", "bad address '::1:4444'")]
    [InlineData("unix:/nonexistent/dir/q.sock,server,nowait", "qmp socket directory '/nonexistent/dir' does not exist")]
    public void Qmp_bad_forms(string value, params string[] fragments) => Fails(["-qmp", value], fragments);

    [Fact]
    public void Qmp_unix_path_longer_than_sun_path() =>
        Fails(["-qmp", $"unix:/tmp/{new string('s', 120)}.sock,server,nowait"], "-qmp socket path", "more than 107");

    // ---- -incoming ----

    [Theory]
    [InlineData("fd:3", "unsupported transport 'fd'")]
    [InlineData("exec:cat", "unsupported transport 'exec'")]
    [InlineData("192.168.0.1", "bad -incoming uri '192.168.0.1'")]
    [InlineData("tcp:300.168.1.2:22", "bad IPv4 address '300.168.1.2'")]
    [InlineData("tcp:192.168.1.2:2:2", "bad address '192.168.1.2:2:2'")]
    [InlineData("tcp:192.168.1.2:65568", "bad port '65568'")]
    [InlineData("tcp:192.168.1.2:", "bad port ''")]
    [InlineData("tcp:host.example:4446", "bad IPv4 address 'host.example'")]
    [InlineData("unix:", "bad path ''")]
    [InlineData("unix:/tmp/a:b", "bad path '/tmp/a:b'")]
    [InlineData("unix:/nonexistent/dir/m.sock", "-incoming socket directory '/nonexistent/dir' does not exist")]
    [InlineData("file:/nonexistent/snapshot", "-incoming snapshot file '/nonexistent/snapshot' does not exist")]
    [InlineData("FILE:/tmp", "-incoming snapshot '/tmp' is not a regular file")]
    public void Incoming_bad_forms(string value, params string[] fragments) => Fails(["-incoming", value], fragments);

    /// <summary>Issue 15: listening there would replace the file (a stale-socket cleanup deleted whatever did not answer).</summary>
    [Fact]
    public void Incoming_socket_path_that_is_a_regular_file_or_a_directory()
    {
        string file = Touch("precious.img");
        Fails(["-incoming", $"unix:{file}"], $"-incoming socket '{file}' exists and is not a socket");
        Fails(["-incoming", $"unix:{Dir}"], $"-incoming socket '{Dir}' exists and is not a socket");
        Assert.True(File.Exists(file));
    }

    // ---- -name, -pidfile, -D ----

    [Fact] public void Name_empty() => Fails(["-name", ""], "-name is empty");
    [Fact] public void Name_unknown_key() => Fails(["-name", "guest=vm,process=x"], "unknown -name key 'process'");
    [Fact] public void Pidfile_in_a_missing_directory() => Fails(["-pidfile", "/nonexistent/dir/t.pid"], "-pidfile directory '/nonexistent/dir'");
    [Fact] public void Log_file_in_a_missing_directory() => Fails(["-D", "/nonexistent/dir/t.log"], "-D log file directory '/nonexistent/dir'");
}
