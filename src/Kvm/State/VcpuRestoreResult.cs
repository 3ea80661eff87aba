namespace Tern.Kvm.State;

/// <summary>What restoring a vCPU found about time on this host.</summary>
/// <param name="TscFrequency">Whether the guest's TSC runs at the rate it ran at on the source.</param>
/// <param name="SourceKhz">The saved TSC frequency (0 if the source did not know it).</param>
/// <param name="DestinationKhz">The vCPU's TSC frequency here after the restore.</param>
/// <param name="GuestClockNotified">KVM_KVMCLOCK_CTRL told the guest it was paused (false if it has no kvmclock).</param>
public sealed record VcpuRestoreResult(TscFrequencyOutcome TscFrequency, uint SourceKhz, uint DestinationKhz, bool GuestClockNotified);

public enum TscFrequencyOutcome
{
    /// <summary>One side did not report a frequency.</summary>
    Unknown,

    /// <summary>Equal within 250 ppm: nothing to do.</summary>
    Same,

    /// <summary>Different, and KVM now scales the guest TSC to the source's rate (KVM_CAP_TSC_CONTROL).</summary>
    Scaled,

    /// <summary>
    /// Different, and this host cannot scale (no KVM_CAP_TSC_CONTROL, as on kvm_pvm): the guest's
    /// TSC now ticks at this host's rate, so its TSC-based time drifts until it recalibrates. The
    /// caller decides whether that is acceptable; QEMU warns and continues.
    /// </summary>
    Mismatch,
}
