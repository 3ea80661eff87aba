namespace Tern.Devices.Config;

/// <summary>
/// The single description of a VM, whether it came from the command line, QMP/HTTP or the
/// cluster registry. Immutable; everything the Machine builds comes from here.
/// </summary>
public sealed record VmConfig
{
    public string? Name { get; init; }
    public string MachineType { get; init; } = "q35";
    public ulong MemoryBytes { get; init; } = 256UL << 20;
    public int Vcpus { get; init; } = 1;
    public CpuConfig Cpu { get; init; } = new();
    public required BootConfig Boot { get; init; }
    public SerialConfig Serial { get; init; } = new(SerialKind.None, null);
    public IReadOnlyList<DriveConfig> Drives { get; init; } = [];
    public IReadOnlyList<BlockDeviceConfig> BlockDevices { get; init; } = [];
    public QmpEndpoint? Qmp { get; init; }
    /// <summary>The raw <c>-incoming</c> URI (reserved for live migration).</summary>
    public string? Incoming { get; init; }
}

/// <summary><c>-cpu host[,-feature...]</c>: the model and the CPUID features to hide.</summary>
public sealed record CpuConfig(string Model = "host")
{
    public IReadOnlyList<string> HiddenFeatures { get; init; } = [];
}

public sealed record BootConfig(string KernelPath, string? InitrdPath, string Cmdline);

public enum SerialKind { None, Stdio, File }

public sealed record SerialConfig(SerialKind Kind, string? Path);

/// <summary><c>-drive file=PATH,id=ID,readonly=on|off,direct=on|off</c>.</summary>
public sealed record DriveConfig(string Id, string Path, bool ReadOnly, bool Direct);

/// <summary><c>-device virtio-blk-pci,drive=ID,id=ID,bus=pcie.0,addr=N[,serial=S]</c>.</summary>
public sealed record BlockDeviceConfig(string Id, string DriveId, string Bus, PciAddress Address, string? Serial);

/// <summary>A device's slot and function on pcie.0 (<c>addr=0x3</c> or <c>addr=0x3.0x1</c>).</summary>
public readonly record struct PciAddress(byte Slot, byte Function)
{
    public override string ToString() => Function == 0 ? $"0x{Slot:x}" : $"0x{Slot:x}.0x{Function:x}";
}

public enum QmpTransport { Unix, Tcp }

/// <summary><c>-qmp unix:PATH,server,nowait</c> or <c>-qmp tcp:HOST:PORT,server,nowait</c>.</summary>
public sealed record QmpEndpoint(QmpTransport Transport, string PathOrHost, int Port = 0);
