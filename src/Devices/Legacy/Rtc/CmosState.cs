using System.Diagnostics.CodeAnalysis;
using static Tern.Devices.Legacy.Rtc.CmosRegisters;

namespace Tern.Devices.Legacy.Rtc;

/// <summary>The saved state of a <see cref="Cmos"/>.</summary>
/// <param name="Ram">All 128 bytes, memory-size registers included (they describe the source's RAM).</param>
/// <param name="GuestClockOffsetTicks">Guest time minus host UTC, in 100 ns ticks.</param>
public sealed record CmosState(int Version, byte Index, byte[] Ram, long GuestClockOffsetTicks)
{
    public const int CurrentVersion = 1;

    internal void Validate()
    {
        if (Version != CurrentVersion) Fail($"version {Version}, expected {CurrentVersion}");
        if (Index > IndexMask) Fail($"index 0x{Index:x2} is above 0x{IndexMask:x2}");
        if (Ram is null || Ram.Length != Size) Fail($"RAM of {Ram?.Length ?? 0} bytes, expected {Size}");
        if ((Ram[A] & AUpdateInProgress) != 0) Fail($"register A 0x{Ram[A]:x2} stores the read-only UIP bit");
        if (Ram[D] != DValidRamAndTime) Fail($"register D 0x{Ram[D]:x2}, expected 0x{DValidRamAndTime:x2}");
        if (GuestClockOffsetTicks < -DateTime.MaxValue.Ticks || GuestClockOffsetTicks > DateTime.MaxValue.Ticks)
            Fail($"clock offset of {GuestClockOffsetTicks} ticks is beyond any date");
    }

    [DoesNotReturn]
    private static void Fail(string problem) => throw new DeviceStateException(nameof(Cmos), problem);
}
