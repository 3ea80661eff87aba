using System.Diagnostics.CodeAnalysis;
using static Tern.Devices.Legacy.Serial.UartRegisters;

namespace Tern.Devices.Legacy.Serial;

/// <summary>
/// The saved state of a <see cref="Serial8250"/>. Only independent facts are kept: LSR, IIR and
/// the MSR line bits are recomputed from these, so a restored UART cannot contradict itself.
/// </summary>
public sealed record Serial8250State(
    int Version,
    ushort Divisor,
    byte InterruptEnable,
    byte FifoControl,
    byte LineControl,
    byte ModemControl,
    byte ModemStatusDelta,
    byte Scratch,
    bool Overrun,
    bool ThrEmptyPending,
    byte[] ReceiveFifo)
{
    public const int CurrentVersion = 1;

    internal void Validate()
    {
        if (Version != CurrentVersion) Fail($"version {Version}, expected {CurrentVersion}");
        if ((InterruptEnable & ~IerMask) != 0) Fail($"IER 0x{InterruptEnable:x2} has bits outside 0x{IerMask:x2}");
        if ((FifoControl & ~FcrKeptBits) != 0 || (FifoControl != 0 && (FifoControl & FcrEnable) == 0))
            Fail($"FCR 0x{FifoControl:x2} is not a kept FIFO control value");
        if ((ModemControl & ~McrMask) != 0) Fail($"MCR 0x{ModemControl:x2} has bits outside 0x{McrMask:x2}");
        if ((ModemStatusDelta & ~MsrDeltaMask) != 0) Fail($"MSR delta 0x{ModemStatusDelta:x2} has bits outside 0x{MsrDeltaMask:x2}");
        if (ReceiveFifo is null) Fail("receive FIFO missing");
        if (ReceiveFifo.Length > Serial8250.InputFifoCapacity)
            Fail($"receive FIFO holds {ReceiveFifo.Length} bytes, at most {Serial8250.InputFifoCapacity}");
    }

    [DoesNotReturn]
    private static void Fail(string problem) => throw new DeviceStateException(nameof(Serial8250), problem);
}
