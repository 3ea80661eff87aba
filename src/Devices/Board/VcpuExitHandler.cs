using Tern.Devices.Bus;
using Tern.Kvm;

namespace Tern.Devices.Board;

/// <summary>
/// Turns one KVM exit into bus accesses or a verdict. Runs on the vCPU's own thread; port and
/// MMIO accesses are dispatched to the devices synchronously, as KVM expects before re-entry.
/// </summary>
public sealed class VcpuExitHandler(DeviceBus io, DeviceBus mmio, PowerLatch power)
{
    private const uint SystemEventShutdown = 1;
    private const uint SystemEventReset = 2;

    public VcpuOutcome Handle(Vcpu vcpu, KvmExit exit)
    {
        switch (exit)
        {
            case KvmExit.Io:
                HandleIo(vcpu);
                return AfterDeviceAccess();
            case KvmExit.Mmio:
                if (vcpu.MmioIsWrite) mmio.Write(vcpu.MmioAddress, vcpu.MmioData);
                else mmio.Read(vcpu.MmioAddress, vcpu.MmioData);
                return AfterDeviceAccess();
            case KvmExit.Intr:
                return power.Pending is null ? VcpuOutcome.Interrupted : AfterDeviceAccess();
            case KvmExit.Hlt:
            case KvmExit.IrqWindowOpen:
                return VcpuOutcome.Continue;
            case KvmExit.Shutdown:
                return new(VcpuOutcomeKind.Fault, "triple fault (shutdown)");
            case KvmExit.SystemEvent:
                return vcpu.SystemEventType switch
                {
                    SystemEventShutdown => new(VcpuOutcomeKind.PowerOff),
                    SystemEventReset => new(VcpuOutcomeKind.Reset),
                    var t => new(VcpuOutcomeKind.Fault, $"system event {t} (guest crash)"),
                };
            case KvmExit.InternalError:
                return new(VcpuOutcomeKind.Fault, $"KVM internal error, suberror {vcpu.InternalErrorSuberror}");
            case KvmExit.FailEntry:
                return new(VcpuOutcomeKind.Fault, $"VM entry failed, hardware reason 0x{vcpu.FailEntryReason:x}");
            default:
                return new(VcpuOutcomeKind.Fault, $"unexpected KVM exit {exit} ({(uint)exit})");
        }
    }

    /// <summary>A device may have asked for power-off or reset during the access: then this vCPU stops here.</summary>
    private VcpuOutcome AfterDeviceAccess() => power.Pending switch
    {
        MachinePowerEvent.PowerOff => new(VcpuOutcomeKind.PowerOff),
        MachinePowerEvent.Reset => new(VcpuOutcomeKind.Reset),
        _ => VcpuOutcome.Continue,
    };

    private void HandleIo(Vcpu vcpu)
    {
        var data = vcpu.IoData;
        int size = vcpu.IoSize;
        ushort port = vcpu.IoPort;
        bool isOut = vcpu.IoIsOut;
        for (int offset = 0; offset + size <= data.Length; offset += size)
        {
            var item = data.Slice(offset, size);
            if (isOut) io.Write(port, item);
            else io.Read(port, item);
        }
    }
}
