namespace Tern.Kvm.Interop;

/// <summary>Offsets into the shared kvm_run page (linux/kvm.h, x86_64).</summary>
internal static class KvmRunLayout
{
    public const int ImmediateExit = 1;
    public const int ExitReason = 8;
    public const int ReadyForInterruptInjection = 12;
    public const int IfFlag = 13;
    public const int RequestInterruptWindow = 0;
    public const int ExitUnion = 32;

    // io: direction u8, size u8, port u16, count u32, data_offset u64
    public const int IoDirection = ExitUnion;
    public const int IoSize = ExitUnion + 1;
    public const int IoPort = ExitUnion + 2;
    public const int IoCount = ExitUnion + 4;
    public const int IoDataOffset = ExitUnion + 8;

    // mmio: phys_addr u64, data[8], len u32, is_write u8
    public const int MmioPhysAddr = ExitUnion;
    public const int MmioData = ExitUnion + 8;
    public const int MmioLen = ExitUnion + 16;
    public const int MmioIsWrite = ExitUnion + 20;

    // internal: suberror u32, ndata u32; system_event: type u32
    public const int InternalSuberror = ExitUnion;
    public const int SystemEventType = ExitUnion;

    // fail_entry: hardware_entry_failure_reason u64
    public const int FailEntryReason = ExitUnion;
}
