namespace Tern.Devices.Board;

/// <summary>
/// Records a power transition a device asked for (ACPI S5, i8042 or 0xCF9 reset). The vCPU that
/// made the request sees it right after its port write and leaves the guest, so the guest never
/// runs on past its own power-off.
/// </summary>
public sealed class PowerLatch
{
    private int _pending = -1;

    public void Request(MachinePowerEvent power) => Interlocked.CompareExchange(ref _pending, (int)power, -1);

    public MachinePowerEvent? Pending => Volatile.Read(ref _pending) is var p and >= 0 ? (MachinePowerEvent)p : null;
}
