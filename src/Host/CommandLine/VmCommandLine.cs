using System.Reflection;
using Tern.Devices.Config;

namespace Tern.Host.CommandLine;

/// <summary>
/// The StratoVirt-compatible command line of <c>tern</c>: argv in, an immutable
/// <see cref="VmConfig"/> out, or a one-line <see cref="CommandLineException"/> naming the culprit.
/// Files are checked (exist, readable, writable where needed) but nothing is created or changed.
/// </summary>
public static class VmCommandLine
{
    /// <summary>
    /// The VM <paramref name="args"/> describe. Throws <see cref="CommandLineException"/> for bad input,
    /// <see cref="VersionRequestedException"/> for -version and <see cref="HelpRequestedException"/> for -help.
    /// </summary>
    public static VmConfig Parse(IReadOnlyList<string> args) => Parse(args, ProcHostFacts.Instance);

    /// <summary>What <paramref name="args"/> ask for: run a VM, print the version, or print the usage.</summary>
    public static CommandLineOutcome Interpret(IReadOnlyList<string> args) => Interpret(args, ProcHostFacts.Instance);

    /// <summary>The version line <c>-version</c> prints.</summary>
    public static string VersionText => $"tern {ProductVersion}";

    /// <summary>The usage text <c>-help</c> prints.</summary>
    public static string UsageText => OptionTable.UsageText(ProductVersion);

    internal static VmConfig Parse(IReadOnlyList<string> args, IHostFacts host) => Interpret(args, host) switch
    {
        CommandLineOutcome.Run run => run.Config,
        CommandLineOutcome.HelpRequested help => throw new HelpRequestedException(help.Text),
        _ => throw new VersionRequestedException(),
    };

    internal static CommandLineOutcome Interpret(IReadOnlyList<string> args, IHostFacts host)
    {
        var occurrences = ArgumentTokenizer.Tokenize(args);
        if (occurrences.Any(o => o.Spec == OptionTable.Help)) return new CommandLineOutcome.HelpRequested(UsageText);
        if (occurrences.Any(o => o.Spec == OptionTable.Version)) return new CommandLineOutcome.VersionRequested(VersionText);
        return new CommandLineOutcome.Run(Build(occurrences, host));
    }

    private static VmConfig Build(IReadOnlyList<OptionOccurrence> occurrences, IHostFacts host)
    {
        var config = new VmConfig { Boot = new BootConfig("", null, "") };
        string? kernel = null, initrd = null;
        // How -m and -smp were written, for messages about the limits they break.
        string? memoryGiven = null, smpText = null;
        var cmdline = new List<string>();
        var drives = new List<DriveConfig>();
        var devices = new List<BlockDeviceConfig>();
        var netdevs = new List<NetdevConfig>();
        var nics = new List<NetDeviceConfig>();
        var tlsCreds = new List<TlsCredsConfig>();
        var process = new ProcessOptions();

        foreach (var option in occurrences)
        {
            var spec = option.Spec;
            if (spec.Ignored) continue;
            if (spec == OptionTable.Name) config = config with { Name = NameOption.Parse(option.Value) };
            else if (spec == OptionTable.Machine)
            {
                var (type, machine) = MachineOption.Parse(option.Value);
                config = config with { MachineType = type, Machine = machine };
            }
            else if (spec == OptionTable.Memory)
            {
                (ulong bytes, memoryGiven) = MemoryOption.Parse(option.Value, host);
                config = config with { MemoryBytes = bytes };
            }
            else if (spec == OptionTable.MemPath)
                config = config with { MemoryBacking = config.MemoryBacking with { Path = MemPathOption.Parse(option.Value) } };
            else if (spec == OptionTable.MemPrealloc) config = config with { MemoryBacking = config.MemoryBacking with { Prealloc = true } };
            else if (spec == OptionTable.Smp)
            {
                var (cpus, topology) = SmpOption.Parse(option.Value);
                config = config with { Vcpus = cpus, Topology = topology };
                smpText = option.Value;
            }
            else if (spec == OptionTable.Cpu) config = config with { Cpu = CpuOption.Parse(option.Value) };
            else if (spec == OptionTable.Kernel) kernel = option.Value;
            else if (spec == OptionTable.Initrd) initrd = option.Value;
            else if (spec == OptionTable.Append) cmdline.AddRange(option.Values);
            else if (spec == OptionTable.Drive) drives.Add(DriveOption.Parse(option.Value));
            else if (spec == OptionTable.Device)
            {
                switch (DeviceOption.Parse(option.Value))
                {
                    case NetDeviceConfig nic: nics.Add(nic); break;
                    case BlockDeviceConfig block: devices.Add(block); break;
                }
            }
            else if (spec == OptionTable.Netdev) netdevs.Add(NetdevOption.Parse(option.Value));
            else if (spec == OptionTable.Serial) config = config with { Serial = SerialOption.Parse(option.Value) };
            else if (spec == OptionTable.Qmp) config = config with { Qmp = QmpOption.Parse(option.Value) };
            else if (spec == OptionTable.Incoming)
                config = config with
                {
                    Incoming = option.Value,
                    IncomingDeferred = option.Value == IncomingOption.Defer,
                    IncomingEndpoint = option.Value == IncomingOption.Defer ? null : IncomingOption.Parse(option.Value),
                };
            else if (spec == OptionTable.Object)
            {
                var creds = ObjectOption.Parse(option.Value);
                if (tlsCreds.Exists(c => c.Id == creds.Id)) throw new CommandLineException($"-object id '{creds.Id}' is given twice");
                tlsCreds.Add(creds);
            }
            else if (spec == OptionTable.Freeze) config = config with { StartPaused = true };
            else if (spec == OptionTable.Log)
            {
                string? file = option.Values.Count > 0 ? option.Value : null;
                if (file is not null) PathChecks.RequireParentDirectory(file, "-D log file");
                process = process with { LogEnabled = true, LogFile = file };
            }
            else if (spec == OptionTable.PidFile)
            {
                PathChecks.RequireParentDirectory(option.Value, "-pidfile");
                process = process with { PidFile = option.Value };
            }
            else if (spec == OptionTable.DisableSeccomp) process = process with { DisableSeccomp = true };
            else if (spec == OptionTable.Daemonize)
                throw new CommandLineException("option '-daemonize' is not supported: run tern under a supervisor such as systemd");
            else throw new InvalidOperationException($"option {spec.Name} has no handler");
        }

        if (kernel is null) throw new CommandLineException("option '-kernel' is required");
        PathChecks.RequireReadableFile(kernel, "kernel");
        if (initrd is not null) PathChecks.RequireReadableFile(initrd, "initrd");
        var built = config with
        {
            Boot = new BootConfig(kernel, initrd, string.Join(' ', cmdline)),
            Drives = drives,
            BlockDevices = devices,
            Netdevs = netdevs,
            NetDevices = nics,
            Topology = config.Topology ?? CpuTopology.SingleSocket(config.Vcpus),
            Process = process,
            TlsCreds = tlsCreds,
        };
        if (built.Problems() is [var problem, ..])
            throw new CommandLineException(ConfigProblemText.Describe(problem, memoryGiven, smpText));
        DeviceGraph.Validate(drives, devices, netdevs, nics);
        return built;
    }

    private static string ProductVersion
    {
        get
        {
            var assembly = typeof(VmCommandLine).Assembly;
            string? version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            version ??= assembly.GetName().Version?.ToString(3) ?? "0.0.0";
            int plus = version.IndexOf('+');  // drop the source-revision suffix the SDK appends
            return plus < 0 ? version : version[..plus];
        }
    }
}
