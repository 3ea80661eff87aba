namespace Tern.Kvm.Boot;

/// <summary>
/// Where the boot vCPU starts: <paramref name="EntryPoint"/> is rip, and
/// <paramref name="BootInfoAddress"/> is the zero page (Linux64, goes in rsi) or hvm_start_info
/// (PVH, goes in ebx).
/// </summary>
public sealed record BootEntry(BootProtocol Protocol, ulong EntryPoint, ulong BootInfoAddress);
