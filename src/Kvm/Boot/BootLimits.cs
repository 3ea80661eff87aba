namespace Tern.Kvm.Boot;

/// <summary>
/// The most the q35 board's boot data can describe. VmConfig.Problems (Tern.Devices) checks these
/// for the command line, the HTTP API and the cluster before anything is built, so a VM beyond
/// them is refused, never half-booted.
/// </summary>
public static class BootLimits
{
    /// <summary>
    /// StratoVirt's limit. ACPI's MADT describes up to 255 vCPUs (one-byte xAPIC ids); the EBDA's
    /// MP table holds only the first 40 and is left out above that (Linux reads the MADT).
    /// </summary>
    public const int MaxVcpus = 254;

    /// <summary>Bytes of kernel command line, without its NUL: Linux x86's COMMAND_LINE_SIZE (2048) less the NUL.</summary>
    public const int MaxCmdlineBytes = 2047;
}
