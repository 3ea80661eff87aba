using System.Diagnostics.CodeAnalysis;
using static Tern.Devices.Legacy.Acpi.AcpiPmRegisters;

namespace Tern.Devices.Legacy.Acpi;

/// <summary>The saved state of an <see cref="AcpiPm"/>.</summary>
/// <param name="Pm1Control">The stored PM1_CNT bits (SCI_EN and SLP_EN are not stored).</param>
/// <param name="TimerTicks">The PM timer's unwrapped tick count when the state was taken.</param>
public sealed record AcpiPmState(
    int Version,
    ushort Pm1Status,
    ushort Pm1Enable,
    ushort Pm1Control,
    byte[] Gpe0Status,
    byte[] Gpe0Enable,
    ulong TimerTicks)
{
    public const int CurrentVersion = 1;

    internal void Validate()
    {
        if (Version != CurrentVersion) Fail($"version {Version}, expected {CurrentVersion}");
        if ((Pm1Status & ~StatusMask) != 0) Fail($"PM1_STS 0x{Pm1Status:x4} has bits outside 0x{StatusMask:x4}");
        if ((Pm1Enable & ~EnableMask) != 0) Fail($"PM1_EN 0x{Pm1Enable:x4} has bits outside 0x{EnableMask:x4}");
        if ((Pm1Control & ~ControlStoredMask) != 0) Fail($"PM1_CNT 0x{Pm1Control:x4} has bits outside 0x{ControlStoredMask:x4}");
        if (Gpe0Status is null || Gpe0Status.Length != Gpe0HalfLength)
            Fail($"GPE0 status of {Gpe0Status?.Length ?? 0} bytes, expected {Gpe0HalfLength}");
        if (Gpe0Enable is null || Gpe0Enable.Length != Gpe0HalfLength)
            Fail($"GPE0 enable of {Gpe0Enable?.Length ?? 0} bytes, expected {Gpe0HalfLength}");
    }

    [DoesNotReturn]
    private static void Fail(string problem) => throw new DeviceStateException(nameof(AcpiPm), problem);
}
