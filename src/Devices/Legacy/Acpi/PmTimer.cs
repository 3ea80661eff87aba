namespace Tern.Devices.Legacy.Acpi;

/// <summary>
/// The ACPI PM timer's tick count at 3.579545 MHz, derived from the host's monotonic clock, so
/// it needs no thread. It continues from <c>ticksAtOrigin</c>, which lets a migrated guest see
/// its counter carry on from where the source left it.
/// </summary>
internal sealed class PmTimer(TimeProvider clock, ulong ticksAtOrigin)
{
    private readonly long _originTimestamp = clock.GetTimestamp();

    /// <summary>Ticks since power-on, unwrapped; the register shows the low 24 bits.</summary>
    public ulong Ticks()
    {
        long elapsed = Math.Max(0, clock.GetTimestamp() - _originTimestamp);
        // 128-bit product: nanosecond timestamps times 3.58 MHz overflow 64 bits within an hour.
        var ticks = (UInt128)(ulong)elapsed * AcpiPmLayout.PmTimerFrequencyHz / (ulong)clock.TimestampFrequency;
        return ticksAtOrigin + (ulong)ticks;
    }
}
