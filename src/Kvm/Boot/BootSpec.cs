namespace Tern.Kvm.Boot;

/// <summary>What to boot and on how big a machine.</summary>
public sealed record BootSpec(string KernelPath, string? InitrdPath, string Cmdline, int Vcpus, ulong RamSize);
