using Tern.Devices.Pci;
using Tern.Kvm;

namespace Tern.Devices.Board;

/// <summary>
/// Keeps KVM's ioeventfds in step with where the guest put each BAR, so a queue doorbell write
/// wakes the I/O thread in the kernel without a vCPU exit to Tern.
/// </summary>
internal sealed class IoEventFdRegistrar(Vm vm) : IBarObserver
{
    private readonly Dictionary<(IPciDevice, int), IReadOnlyList<IoEventFdBinding>> _registered = [];
    private readonly Lock _gate = new();

    public void BarMoved(IPciDevice device, int barIndex, ulong? oldAddress, ulong? newAddress)
    {
        if (device is not IIoEventFdProvider provider) return;
        lock (_gate)
        {
            if (_registered.Remove((device, barIndex), out var old))
                foreach (var b in old) vm.UnregisterIoEvent(b.Address, (uint)b.Length, b.EventFd);
            if (newAddress is not { } address) return;
            var bindings = provider.IoEventFds(barIndex, address);
            foreach (var b in bindings) vm.RegisterIoEvent(b.Address, (uint)b.Length, b.EventFd);
            _registered[(device, barIndex)] = bindings;
        }
    }

    /// <summary>Registers the doorbells of every BAR decoding now (at machine build time).</summary>
    public void RegisterAll(PciRoot root)
    {
        foreach (var (_, device) in root.Devices)
            for (int bar = 0; bar < 6; bar++)
                if (root.MappedAddress(device, bar) is { } address) BarMoved(device, bar, null, address);
    }
}
