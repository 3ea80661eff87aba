namespace Tern.Devices.Pci;

/// <summary>
/// Told when a BAR starts, stops or moves decoding (the guest reprogrammed it or toggled the
/// command register). The machine re-registers that BAR's ioeventfds here. A null address means
/// "not decoding". Called with the PCI root's lock held, on the vCPU thread that made the change.
/// </summary>
public interface IBarObserver
{
    void BarMoved(IPciDevice device, int barIndex, ulong? oldAddress, ulong? newAddress);
}

/// <summary>A guest-physical address whose writes should signal an eventfd (KVM_IOEVENTFD).</summary>
public sealed record IoEventFdBinding(ulong Address, int Length, Tern.Kvm.EventFd EventFd);

/// <summary>A device with doorbells inside a BAR (a virtio transport's notify region).</summary>
public interface IIoEventFdProvider
{
    /// <summary>The doorbells of BAR <paramref name="barIndex"/> if it decoded at <paramref name="barAddress"/>.</summary>
    IReadOnlyList<IoEventFdBinding> IoEventFds(int barIndex, ulong barAddress);
}
