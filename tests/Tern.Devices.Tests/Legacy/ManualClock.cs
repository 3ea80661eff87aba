namespace Tern.Devices.Tests.Legacy;

/// <summary>A host clock the test moves by hand: UTC wall time and a nanosecond monotonic timestamp together.</summary>
internal sealed class ManualClock(DateTimeOffset utcNow) : TimeProvider
{
    public const long NanosecondsPerSecond = 1_000_000_000;

    private DateTimeOffset _utcNow = utcNow;
    private long _timestamp = 123_456_789; // any origin: devices must only use differences

    public ManualClock() : this(new DateTimeOffset(2024, 2, 29, 13, 45, 56, TimeSpan.Zero))
    {
    }

    public override DateTimeOffset GetUtcNow() => _utcNow;

    public override long GetTimestamp() => _timestamp;

    public override long TimestampFrequency => NanosecondsPerSecond;

    public void Advance(TimeSpan by)
    {
        _utcNow += by;
        _timestamp += by.Ticks * 100;
    }

    public void AdvanceNanoseconds(long nanoseconds)
    {
        _timestamp += nanoseconds;
        _utcNow += TimeSpan.FromTicks(nanoseconds / 100);
    }

    public void SetUtc(DateTimeOffset utcNow) => _utcNow = utcNow;
}
