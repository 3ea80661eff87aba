using Akka.Actor;
using Akka.Event;
using Tern.Actors.Vm;
using Tern.Actors.Vm.Process;

namespace Tern.Actors.Cluster.Host;

/// <summary>
/// Fencing by lease (<see cref="Leases.HostLeaseSettings"/> has the timing argument): the host
/// renews its lease every RenewEvery, starts VMs only while it holds it, gives every VM process the
/// deadline each renewal sets, and ends all its VMs the moment that deadline passes unrenewed or
/// the lease turns out revoked. Without a lease (a SQLite journal) none of this runs.
/// </summary>
public sealed partial class HostActor
{
    /// <summary>Until when (Environment.TickCount64) this host may run VMs; null: it holds no lease.</summary>
    private long? _leaseUntil;
    private bool _renewing;
    /// <summary>The last renewal failed: said once, not every second.</summary>
    private string? _renewProblem;

    private sealed record RenewLease;
    private sealed record LeaseRenewed(long SentAt, bool Held, string? Error);
    private sealed record LeaseCheck;

    private bool HoldsLease => _settings.Lease is null || (_leaseUntil is { } until && Environment.TickCount64 < until);

    /// <summary>Why this host takes no VM now (fenced off, or no lease), or null if it does.</summary>
    private string? Refusal() =>
        _fenced ? $"{_name} has fenced itself off"
        : !HoldsLease ? $"{_name} holds no lease (its last renewal: {_renewProblem ?? "none yet"})"
        : null;

    private void LeaseHandlers()
    {
        Receive<RenewLease>(_ => Renew());
        Receive<LeaseRenewed>(OnLeaseRenewed);
        Receive<LeaseCheck>(_ => CheckLease());
    }

    private void StartLease()
    {
        if (_settings.Lease is { } lease) Timers.StartPeriodicTimer("lease-renew", new RenewLease(), TimeSpan.Zero, lease.RenewEvery);
    }

    private void Renew()
    {
        if (_renewing || _settings.Lease is not { } lease) return;
        _renewing = true;
        // Noted before anything is sent: the database sets the expiry later than this, never sooner.
        long sentAt = Environment.TickCount64;
        var timeout = new CancellationTokenSource(lease.Validity);
        lease.Leases.RenewAsync(_name, lease.Ttl, timeout.Token).ContinueWith(t =>
            {
                timeout.Dispose();
                return t.IsCompletedSuccessfully
                    ? new LeaseRenewed(sentAt, t.Result, null)
                    : new LeaseRenewed(sentAt, false, t.Exception?.GetBaseException().Message ?? "no answer within the lease's validity");
            })
            .PipeTo(Self);
    }

    private void OnLeaseRenewed(LeaseRenewed renewed)
    {
        _renewing = false;
        var lease = _settings.Lease!;
        if (!renewed.Held)
        {
            if (renewed.Error is null) LeaseLost("its lease was revoked: the cluster counts this host as lost");
            else if (_renewProblem != renewed.Error) _log.Warning("renewing the lease of host {0} failed: {1}", _name, renewed.Error);
            _renewProblem = renewed.Error ?? "revoked";
            return;
        }
        // A deadline that passed before this answer came ended the VMs under the old lease (and may
        // have let the cluster take it): the new one keeps nothing of them.
        CheckLease();
        bool regained = _leaseUntil is null;
        _leaseUntil = renewed.SentAt + (long)lease.Validity.TotalMilliseconds;
        if (_renewProblem is not null) _log.Info("host {0} renewed its lease again", _name);
        else if (regained) _log.Info("host {0} holds its lease", _name);
        _renewProblem = null;
        TellLeaseDeadline();
        Timers.StartSingleTimer("lease-check", new LeaseCheck(), TimeSpan.FromMilliseconds(Math.Max(1, _leaseUntil.Value - Environment.TickCount64)));
    }

    /// <summary>Ends every VM once the deadline has passed (a timer fires a little early at times: then it waits on).</summary>
    private void CheckLease()
    {
        if (_leaseUntil is not { } until) return;
        long left = until - Environment.TickCount64;
        if (left > 0)
            Timers.StartSingleTimer("lease-check", new LeaseCheck(), TimeSpan.FromMilliseconds(left));
        else
            LeaseLost($"its lease was not renewed in time ({_renewProblem ?? "the renewal was late"})");
    }

    private void LeaseLost(string why)
    {
        _leaseUntil = null;
        Timers.Cancel("lease-check");
        EndAll(why);
    }

    /// <summary>
    /// A VM process that quit its guest with no order from this node did so at its lease deadline
    /// (it quits on its own otherwise only once no node is connected): fenced, to be restarted,
    /// not a guest that powered off. Its deadline may pass a moment before this node's own check.
    /// </summary>
    private bool QuitByItself(VmProtocol.VmExited exit) =>
        _settings.Lease is not null && _settings.VmProcesses is not null && !exit.ProcessDied && exit.ExitCode == 0 && exit.Reason == "quit";

    /// <summary>Every VM process learns the deadline, so that it quits then even if this node cannot tell it to.</summary>
    private void TellLeaseDeadline(VmInstance? only = null)
    {
        if (_settings.VmProcesses is null || _leaseUntil is not { } until) return;
        var deadline = new VmChannelMessages.LeaseDeadline(until);
        foreach (var instance in only is null ? _instances.Values.ToArray() : [only]) instance.Actor.Tell(deadline);
    }
}
