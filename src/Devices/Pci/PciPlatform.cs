using System.Numerics;
using System.Runtime.InteropServices;
using Tern.Devices.Bus;
using Tern.Devices.Config;
using Tern.Devices.Interrupts;
using Tern.Devices.Virtio.Block;
using Tern.Devices.Virtio.Net;
using Tern.Devices.Virtio.Pci;
using Tern.Kvm;
using Tern.Kvm.Arch;
using Tern.Kvm.Memory;
using Tern.Kvm.Net;

namespace Tern.Devices.Pci;

/// <summary>
/// Everything PCI in a q35 machine, built from a <see cref="VmConfig"/>: the root bus with the
/// host bridge at 00.0, one virtio-blk-pci or virtio-net-pci function per <c>-device</c> (each NIC
/// on its own TAP), their BARs assigned, and
/// the I/O thread that serves their queues. The configuration is checked again here (the command
/// line parser checks it too, but the machine does not trust it).
/// </summary>
public sealed class PciPlatform : IDisposable
{
    public const string RootBusName = "pcie.0";
    public const int DefaultMaxQueues = 32;

    private readonly List<VirtioPciDevice> _transports = [];
    private readonly List<VirtioBlock> _blocks = [];
    private readonly List<(string DriveId, DiskImage Disk)> _disks = [];
    private readonly List<NetFunction> _nets = [];
    private readonly List<HeldFrames> _heldFrames = [];

    private PciPlatform() { }

    public PciRoot Root { get; } = new(withHostBridge: false);
    public IoThread IoThread { get; } = new("tern-io");
    public IReadOnlyList<VirtioPciDevice> VirtioDevices => _transports;
    public IReadOnlyList<VirtioBlock> BlockDevices => _blocks;
    public IReadOnlyList<NetFunction> NetDevices => _nets;

    /// <summary>
    /// Builds the PCI side of the machine; throws <see cref="PciBuildException"/> with a one-line
    /// message naming the culprit when the configuration cannot work. BARs get addresses from
    /// <paramref name="allocator"/> (default: the q35 windows for the configured RAM) and decode at once.
    /// </summary>
    public static PciPlatform Build(VmConfig config, GuestMemory memory, IMsiSink msi, IInterruptLine? intx = null, PciBarAllocator? allocator = null)
    {
        var drives = IndexDrives(config.Drives);
        Validate(config.BlockDevices, drives);
        var netdevs = NetValidation.Check(config, RootBusName);

        var platform = new PciPlatform();
        try
        {
            foreach (var dev in config.BlockDevices.OrderBy(d => d.Address.Function))
                platform.AddBlock(dev, drives[dev.DriveId], config.Vcpus, memory, msi, intx);
            foreach (var dev in config.NetDevices)
                platform.AddNet(dev, netdevs[dev.NetdevId], memory, msi, intx);
            // An incoming migration's destination waits for the switch-over: the source holds the images until then.
            if (!config.AwaitsMigration) platform.LockDisks();
            platform.Root.AddHostBridge();
            platform.Root.AssignBars(allocator ?? PciBarAllocator.ForRamSize(config.MemoryBytes));
            return platform;
        }
        catch (ImageLockedException e)
        {
            platform.Dispose();
            throw new PciBuildException(e.Message, e);
        }
        catch
        {
            platform.Dispose();
            throw;
        }
    }

    private static Dictionary<string, DriveConfig> IndexDrives(IReadOnlyList<DriveConfig> drives)
    {
        var byId = new Dictionary<string, DriveConfig>(StringComparer.Ordinal);
        foreach (var d in drives)
            if (!byId.TryAdd(d.Id, d)) throw new PciBuildException($"drive id '{d.Id}' is defined twice");
        return byId;
    }

    private static void Validate(IReadOnlyList<BlockDeviceConfig> devices, Dictionary<string, DriveConfig> drives)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var driveUsers = new Dictionary<string, string>(StringComparer.Ordinal);
        var addresses = devices.Select(d => d.Address).ToHashSet();
        foreach (var dev in devices)
        {
            if (!ids.Add(dev.Id)) throw new PciBuildException($"device id '{dev.Id}' is used twice");
            if (dev.Bus != RootBusName) throw new PciBuildException($"device '{dev.Id}': bus '{dev.Bus}' does not exist (only {RootBusName})");
            if (!drives.ContainsKey(dev.DriveId)) throw new PciBuildException($"device '{dev.Id}': drive '{dev.DriveId}' is not defined by any -drive");
            if (driveUsers.TryGetValue(dev.DriveId, out var other)) throw new PciBuildException($"drive '{dev.DriveId}' is used by both '{other}' and '{dev.Id}'");
            driveUsers[dev.DriveId] = dev.Id;
            if (dev.Address.Function != 0 && !addresses.Contains(new PciAddress(dev.Address.Slot, 0)))
                throw new PciBuildException($"device '{dev.Id}': addr {dev.Address} needs a device at function 0 of slot 0x{dev.Address.Slot:x}");
            if (dev.QueueSize is { } size && (size is < 4 or > 1024 || !BitOperations.IsPow2(size)))
                throw new PciBuildException($"device '{dev.Id}': queue-size {size} is not a power of two in 4..1024");
            if (dev.NumQueues is { } n && n is < 1 or > DefaultMaxQueues)
                throw new PciBuildException($"device '{dev.Id}': num-queues {n} is outside 1..{DefaultMaxQueues}");
        }
    }

    private void AddBlock(BlockDeviceConfig dev, DriveConfig drive, int vcpus, GuestMemory memory, IMsiSink msi, IInterruptLine? intx)
    {
        DiskImage disk;
        try
        {
            disk = DiskImage.Open(drive.Path, drive.ReadOnly, drive.Direct);
        }
        catch (KvmException e)
        {
            string why = Marshal.GetPInvokeErrorMessage(e.Errno);
            throw new PciBuildException($"drive '{drive.Id}': cannot open {drive.Path}{(drive.Direct ? " with direct=on" : "")}: {why}", e);
        }

        int queues = dev.NumQueues ?? Math.Clamp(vcpus, 1, DefaultMaxQueues);
        var block = new VirtioBlock(disk, dev.Serial, queues, (ushort)(dev.QueueSize ?? VirtioBlock.DefaultQueueSize));
        _blocks.Add(block);
        _disks.Add((drive.Id, disk));
        var transport = new VirtioPciDevice(dev.Id, block, memory, msi, intx);
        _transports.Add(transport);
        Root.Add(dev.Address, transport);

        for (int q = 0; q < queues; q++)
        {
            int index = q;
            IoThread.Register(transport.QueueEvents[q], () => transport.ProcessQueue(index));
        }
    }

    private void AddNet(NetDeviceConfig dev, NetdevConfig netdev, GuestMemory memory, IMsiSink msi, IInterruptLine? intx)
    {
        TapDevice tap;
        try
        {
            tap = TapDevice.Open(netdev.IfName);
        }
        catch (TapException e)
        {
            throw new PciBuildException($"netdev '{netdev.Id}': {e.Message}", e);
        }
        var backend = new TapBackend(tap);
        var held = new HeldFrames(backend);
        _heldFrames.Add(held);
        var net = new VirtioNet(held, dev.Mac);
        var transport = new VirtioPciDevice(dev.Id, net, memory, msi, intx);
        _nets.Add(new NetFunction(dev.Id, net, transport));
        _transports.Add(transport);
        Root.Add(dev.Address, transport);

        IoThread.Register(transport.QueueEvents[VirtioNet.RxQueue], () => transport.ProcessQueue(VirtioNet.RxQueue));
        IoThread.Register(transport.QueueEvents[VirtioNet.TxQueue], () => transport.ProcessQueue(VirtioNet.TxQueue));
        IoThread.Register(backend.Source, () => transport.ProcessQueue(VirtioNet.RxQueue), () => net.WantsFrames);
    }

    /// <summary>Each NIC's sent frames, which a replication holds until their checkpoint is committed.</summary>
    public IReadOnlyList<HeldFrames> HeldFrames => _heldFrames;

    /// <summary>Sends each NIC's announce frame once (one round of the post-migration announcement).</summary>
    public void AnnounceNetwork()
    {
        foreach (var n in _nets) n.Device.Announce();
    }

    /// <summary>
    /// Puts ports 0xCF8..0xCFF, the ECAM window and the decoding BARs on the machine's buses.
    /// <paramref name="onReset"/> runs (on a vCPU thread) when the guest writes the 0xCF9 reset register.
    /// </summary>
    public void Attach(DeviceBus ioBus, DeviceBus mmioBus, Action onReset) =>
        Root.Attach(ioBus, mmioBus, MemoryLayout.EcamBase, MemoryLayout.EcamSize, onReset);

    /// <summary>Every queue doorbell now decoding, as (address, length, eventfd) for KVM_IOEVENTFD.</summary>
    public IReadOnlyList<IoEventFdBinding> IoEventFds() => Root.IoEventFds();

    public void StartIo() => IoThread.Start();

    public void StopIo() => IoThread.Stop();

    /// <summary>Drains in-flight block requests and flushes every disk (before saving state).</summary>
    public void PauseDevices()
    {
        foreach (var b in _blocks) b.Pause();
        foreach (var n in _nets) n.Device.Pause();
    }

    /// <summary>
    /// Takes every disk's image lock, all or none; throws <see cref="ImageLockedException"/> naming
    /// the drive, the image and its holder when another process (QEMU too) holds it.
    /// </summary>
    public void LockDisks()
    {
        var taken = new List<DiskImage>();
        foreach (var (id, disk) in _disks)
        {
            if (disk.Locked) continue;
            try
            {
                disk.Lock();
                taken.Add(disk);
            }
            catch (ImageLockedException e)
            {
                foreach (var d in taken) d.Unlock();
                throw new ImageLockedException($"drive '{id}': {e.Message}");
            }
        }
    }

    /// <summary>Each drive's id and image, in the order they were added.</summary>
    public IReadOnlyList<(string DriveId, DiskImage Disk)> Disks => _disks;

    /// <summary>Lets go of every disk's image lock (a migration's source, paused and flushed, hands them over).</summary>
    public void UnlockDisks()
    {
        foreach (var (_, disk) in _disks) disk.Unlock();
    }

    public void ResumeDevices()
    {
        foreach (var b in _blocks) b.Resume();
        foreach (var n in _nets) n.Device.Resume();
    }

    public void Dispose()
    {
        IoThread.Dispose();
        foreach (var t in _transports) t.Dispose();
        foreach (var b in _blocks) b.Dispose();
        foreach (var n in _nets) n.Device.Dispose();
    }
}

/// <summary>One virtio-net-pci function: its <c>-device</c> id, the device and its transport.</summary>
public sealed record NetFunction(string Name, VirtioNet Device, VirtioPciDevice Transport);
