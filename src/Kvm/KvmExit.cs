namespace Tern.Kvm;

/// <summary>KVM_EXIT_* codes.</summary>
public enum KvmExit : uint
{
    Unknown = 0,
    Exception = 1,
    Io = 2,
    Debug = 4,
    Hlt = 5,
    Mmio = 6,
    IrqWindowOpen = 7,
    Shutdown = 8,
    FailEntry = 9,
    Intr = 10,
    InternalError = 17,
    SystemEvent = 24,
}
