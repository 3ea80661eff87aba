namespace Tern.Devices.Virtio.Net;

/// <summary>
/// When to send the announce frames after a migrated guest resumes, as QEMU's announce-self does
/// by default: 5 rounds, the first 50 ms after the resume, each gap 100 ms longer than the one before.
/// </summary>
public static class AnnounceSchedule
{
    public const int Rounds = 5;
    public static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(50);
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    /// <summary>The wait before round <paramref name="round"/> (0-based), counted from the previous round.</summary>
    public static TimeSpan DelayBefore(int round) => Initial + Step * round;
}
