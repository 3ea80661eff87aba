namespace Tern.Kvm.Boot;

/// <summary>How the vCPU enters the kernel.</summary>
public enum BootProtocol
{
    /// <summary>Xen's PVH direct boot: 32-bit protected mode, paging off, ebx = hvm_start_info.</summary>
    Pvh,

    /// <summary>Linux's 64-bit boot protocol: long mode, rsi = zero page (boot_params).</summary>
    Linux64,
}
