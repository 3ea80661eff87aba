using System.Collections.Frozen;
using System.Text;
using Tern.Devices.Config;
using Tern.Kvm.Boot;

namespace Tern.Host.CommandLine;

/// <summary>
/// Every option <c>tern</c> accepts, spelled with one dash as StratoVirt spells them; only
/// <c>--version</c> and <c>--help</c> also have a double-dash spelling.
/// </summary>
internal static class OptionTable
{
    public static readonly OptionSpec Name = new("-name", OptionArity.One, false, "-name NAME", "name the guest");
    public static readonly OptionSpec Machine = new("-machine", OptionArity.One, false,
        "-machine [type=]q35[,dump-guest-core=on|off][,mem-share=on|off]", "machine type (only q35)");
    public static readonly OptionSpec Memory = new("-m", OptionArity.One, false,
        "-m [size=]SIZE[K|M|G]", $"guest RAM; a bare number is MiB, a B suffix is bytes (default {VmConfig.DefaultMemoryBytes >> 20}M)");
    public static readonly OptionSpec MemPath = new("-mem-path", OptionArity.One, false,
        "-mem-path PATH", "map guest RAM from a file, or from a new file in a directory (hugetlbfs for huge pages)");
    public static readonly OptionSpec MemPrealloc = new("-mem-prealloc", OptionArity.Flag, false,
        "-mem-prealloc", "back all guest RAM at start");
    public static readonly OptionSpec Smp = new("-smp", OptionArity.One, false,
        "-smp [cpus=]N[,maxcpus=N][,sockets=N][,dies=N][,clusters=N][,cores=N][,threads=N]", $"vCPUs, 1..{BootLimits.MaxVcpus} (default 1)");
    public static readonly OptionSpec Cpu = new("-cpu", OptionArity.One, false,
        "-cpu host[,-FEATURE][,+FEATURE][,FEATURE=on|off]", "CPU model (only host) and CPUID features to hide or add");
    public static readonly OptionSpec Kernel = new("-kernel", OptionArity.One, false, "-kernel PATH", "kernel image (required)");
    public static readonly OptionSpec Initrd = new("-initrd", OptionArity.One, false, "-initrd PATH", "initial RAM disk");
    public static readonly OptionSpec Append = new("-append", OptionArity.Many, true, "-append CMDLINE", "kernel command line");
    public static readonly OptionSpec Drive = new("-drive", OptionArity.One, true,
        "-drive file=PATH,id=ID[,readonly=on|off][,direct=on|off][,format=raw][,if=none]",
        "a raw disk image or block device; StratoVirt's throttling.iops-total=N and aio=native|io_uring|off are accepted and ignored");
    public static readonly OptionSpec Device = new("-device", OptionArity.One, true,
        "-device virtio-blk-pci,id=ID,drive=ID,bus=pcie.0,addr=SLOT[.FN][,multifunction=on|off][,serial=S][,num-queues=N][,queue-size=N][,bootindex=N]",
        "a device: virtio-blk-pci, or virtio-net-pci,id=ID,netdev=ID,bus=pcie.0,addr=SLOT[,mac=MAC]");
    public static readonly OptionSpec Netdev = new("-netdev", OptionArity.One, true,
        "-netdev tap,id=ID,ifname=NAME", "a TAP for a virtio-net-pci device (created, and removed at exit, if it does not exist)");
    public static readonly OptionSpec Serial = new("-serial", OptionArity.One, false,
        "-serial stdio|none|file:PATH|file,path=PATH", "where the 8250 UART goes (default none)");
    public static readonly OptionSpec Qmp = new("-qmp", OptionArity.One, false,
        "-qmp unix:PATH,server,nowait | tcp:IP:PORT,server,nowait", "QMP server socket");
    public static readonly OptionSpec Incoming = new("-incoming", OptionArity.One, false,
        "-incoming tcp:IP:PORT | unix:PATH | file:PATH | defer",
        "wait for an incoming migration (defer: at the address QMP migrate-incoming gives), or restore the snapshot QMP migrate to file:PATH saved");
    public static readonly OptionSpec Object = new("-object", OptionArity.One, true,
        "-object tls-creds-x509,id=ID,dir=DIR[,endpoint=server|client][,verify-peer=on|off]",
        "TLS credentials a migration uses when migrate-set-parameters tls-creds names ID (QEMU's PEM layout)");
    public static readonly OptionSpec Freeze = new("-S", OptionArity.Flag, false, "-S, -freeze", "start with the vCPUs stopped");
    public static readonly OptionSpec Log = new("-D", OptionArity.OptionalOne, false, "-D [LOGFILE]", "log to LOGFILE (default stderr)");
    public static readonly OptionSpec PidFile = new("-pidfile", OptionArity.One, false, "-pidfile PATH", "write the process id to PATH");
    public static readonly OptionSpec Daemonize = new("-daemonize", OptionArity.Flag, false, "-daemonize", "not supported: run tern under a supervisor");
    public static readonly OptionSpec DisableSeccomp = new("-disable-seccomp", OptionArity.Flag, false, "-disable-seccomp", "accepted; tern installs no seccomp filter");
    public static readonly OptionSpec Version = new("-version", OptionArity.Flag, true, "-V, -version, --version", "print the version and exit");
    public static readonly OptionSpec Help = new("-help", OptionArity.Flag, true, "-h, -help, --help", "print this help and exit");

    /// <summary>Options StratoVirt accepts for libvirt and ignores; so does tern.</summary>
    private static readonly string[] IgnoredNames =
    [
        "-nodefaults", "-nographic", "-no-user-config", "-uuid", "-sandbox", "-msg", "-rtc", "-boot",
        "-realtime", "-display", "-usb", "-overcommit",
    ];

    private static readonly OptionSpec[] Documented =
    [
        Machine, Memory, MemPath, MemPrealloc, Smp, Cpu, Kernel, Initrd, Append, Drive, Device, Netdev, Serial, Qmp, Incoming, Object, Name,
        Freeze, Log, PidFile, Daemonize, DisableSeccomp, Version, Help,
    ];

    private static readonly FrozenDictionary<string, OptionSpec> BySpelling = BuildSpellings();

    /// <summary>The option <paramref name="spelling"/> names, or null when it names none.</summary>
    public static OptionSpec? Find(string spelling) => BySpelling.GetValueOrDefault(spelling);

    public static string UsageText(string version)
    {
        var text = new StringBuilder();
        text.AppendLine($"tern {version}: a KVM virtual machine monitor with a StratoVirt-compatible command line");
        text.AppendLine();
        text.AppendLine("usage: tern -machine q35 -kernel PATH [options]");
        text.AppendLine();
        foreach (var option in Documented)
        {
            text.AppendLine($"  {option.Usage}");
            text.AppendLine($"      {option.Help}");
        }
        text.AppendLine();
        text.AppendLine($"  accepted and ignored: {string.Join(' ', IgnoredNames)}");
        text.AppendLine();
        text.AppendLine("other uses: tern node (a cluster member), tern ctl (drive a cluster), tern token (the cluster's API");
        text.AppendLine("  tokens), tern ca (its TLS certificates), each with --help; tern demo KERNEL (a live migration, narrated)");
        return text.ToString();
    }

    private static FrozenDictionary<string, OptionSpec> BuildSpellings()
    {
        var map = Documented.ToDictionary(option => option.Name);
        map["-freeze"] = Freeze;
        map["-V"] = Version;
        map["--version"] = Version;
        map["-h"] = Help;
        map["--help"] = Help;
        foreach (var name in IgnoredNames)
            map[name] = new OptionSpec(name, OptionArity.OptionalOne, true, name, "ignored") { Ignored = true };
        return map.ToFrozenDictionary();
    }
}
