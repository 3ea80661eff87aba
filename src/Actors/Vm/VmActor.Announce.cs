using Akka.Actor;
using Tern.Devices.Virtio.Net;

namespace Tern.Actors.Vm;

/// <summary>
/// After an incoming migration the guest's NICs are announced on this host's TAPs (gratuitous RARP,
/// <see cref="AnnounceSchedule"/>), so switches learn where the MAC moved. It starts when the guest
/// runs here: at once if it arrived running, else at the first resume.
/// </summary>
public sealed partial class VmActor : IWithTimers
{
    /// <summary>Timers die with the actor, so a VM stopped mid-announce leaves nothing scheduled.</summary>
    public ITimerScheduler Timers { get; set; } = null!;

    private sealed record AnnounceRound(int Round);

    private bool _announcePending;

    private void AnnounceHandlers() => Receive<AnnounceRound>(OnAnnounceRound);

    private void AnnounceWhenRunning()
    {
        _announcePending = _state != VmRunState.Running;
        if (!_announcePending) ScheduleAnnounce(0);
    }

    private void AnnounceIfPending()
    {
        if (!_announcePending) return;
        _announcePending = false;
        ScheduleAnnounce(0);
    }

    private void ScheduleAnnounce(int round) =>
        Timers.StartSingleTimer(nameof(AnnounceRound), new AnnounceRound(round), AnnounceSchedule.DelayBefore(round));

    private void OnAnnounceRound(AnnounceRound r)
    {
        if (_machine is null || _state != VmRunState.Running) return; // stopped or gone meanwhile: the rest is moot
        _machine.AnnounceNetwork();
        if (r.Round + 1 < AnnounceSchedule.Rounds) ScheduleAnnounce(r.Round + 1);
    }
}
