using Tern.Devices.Bus;
using Tern.Devices.Config;
using Tern.Devices.Legacy.Serial;
using Tern.Devices.Pci;
using Tern.Kvm;
using Tern.Kvm.Arch;
using Tern.Kvm.Boot;
using Tern.Kvm.Memory;

namespace Tern.Devices.Board;

/// <summary>
/// Tern's q35 machine built from a <see cref="VmConfig"/>: guest RAM, the in-kernel irqchip and PIT,
/// the port and MMIO buses with their devices, the loaded kernel and firmware tables, and the vCPUs
/// ready to run. It owns every resource and releases them on Dispose. It does not run the vCPUs.
/// </summary>
public sealed class Machine : IDisposable
{
    private readonly KvmSystem _kvm;
    private readonly Vm _vm;
    private readonly LegacyDevices _legacy;
    private readonly SerialInputPump? _inputPump;

    private Machine(VmConfig config, KvmSystem kvm, Vm vm, GuestMemory memory, DeviceBus io, DeviceBus mmio,
        LegacyDevices legacy, PciPlatform pci, Vcpu[] vcpus, SerialInputPump? inputPump, PowerLatch power, HeldConsole console)
    {
        Console = console;
        ConsoleHistory = console.HasHistory ? console : null;
        Config = config;
        _kvm = kvm;
        _vm = vm;
        Memory = memory;
        IoBus = io;
        MmioBus = mmio;
        _legacy = legacy;
        Pci = pci;
        Vcpus = vcpus;
        _inputPump = inputPump;
        Exits = new VcpuExitHandler(io, mmio, power);
    }

    public VmConfig Config { get; }
    public GuestMemory Memory { get; }
    public DeviceBus IoBus { get; }
    public DeviceBus MmioBus { get; }
    public PciPlatform Pci { get; }
    public IReadOnlyList<Vcpu> Vcpus { get; }
    public VcpuExitHandler Exits { get; }
    public Vm Vm => _vm;

    /// <summary>The console's kept output when its sink keeps one (a cluster VM), which a live migration carries along.</summary>
    public IConsoleHistory? ConsoleHistory { get; }

    /// <summary>The serial console's output, which a replication holds until each checkpoint is committed.</summary>
    public HeldConsole Console { get; }

    /// <summary>Everything the guest sends to the world (console, NIC frames, disk writes), held as one by a replication.</summary>
    public IHeldOutput Output => new HeldOutputs([Console, .. Pci.HeldFrames, .. Pci.Disks.Select(d => d.Disk.Held)]);

    /// <summary>The disk writes epoch <paramref name="epoch"/> of a replication made, held until its checkpoint is committed.</summary>
    public IReadOnlyList<DiskWrite> DiskWritesOf(long epoch) =>
        [.. Pci.Disks.SelectMany(d => d.Disk.Held.WritesOf(epoch).Select(w => new DiskWrite(d.DriveId, w.Offset, w.Data)))];

    /// <summary>The writable drives and their sizes: what a standby keeping its own disks gets a copy of.</summary>
    public IReadOnlyList<(string DriveId, long Length)> WritableDrives =>
        [.. Pci.Disks.Where(d => !d.Disk.ReadOnly).Select(d => (d.DriveId, d.Disk.Length))];

    /// <summary>
    /// From now on every guest write to a disk is held as epoch <paramref name="epoch"/>'s (call
    /// with the devices paused): the images stand still while a replication copies them.
    /// </summary>
    public void HoldDiskWrites(long epoch)
    {
        foreach (var (_, disk) in Pci.Disks) disk.Held.Begin(epoch);
    }

    /// <summary>Reads drive <paramref name="driveId"/>'s image, without held writes, at <paramref name="offset"/>.</summary>
    public void ReadDisk(string driveId, Span<byte> into, long offset) => Drive(driveId).ReadStored(into, offset);

    /// <summary>
    /// A standby about to receive its own copy of drive <paramref name="driveId"/>, of
    /// <paramref name="length"/> bytes on the primary: empties it, or says why it cannot take one.
    /// </summary>
    public string? BeginDiskCopy(string driveId, long length)
    {
        if (Pci.Disks.FirstOrDefault(d => d.DriveId == driveId).Disk is not { } disk) return $"no drive '{driveId}' here";
        if (disk.ReadOnly) return $"drive '{driveId}' is read-only here";
        if (disk.Length != length) return $"drive '{driveId}' is {length} bytes on the primary, {disk.Length} here";
        try
        {
            // Its lock first: were it the primary's own image (one file given to both), the
            // primary's lock refuses this before a byte of it is lost.
            disk.Lock();
            disk.Clear();
            return null;
        }
        catch (Tern.Devices.Virtio.Block.ImageLockedException e)
        {
            return $"drive '{driveId}' cannot be this standby's own copy: {e.Message}";
        }
        catch (KvmException e)
        {
            return e.Message;
        }
    }

    /// <summary>Part of a standby's copy of drive <paramref name="driveId"/> (checked by the stream's reader and <see cref="BeginDiskCopy"/>).</summary>
    public void WriteDiskCopy(string driveId, long offset, ReadOnlySpan<byte> data) => Drive(driveId).WriteThrough(data, offset);

    private Tern.Devices.Virtio.Block.DiskImage Drive(string driveId) => Pci.Disks.First(d => d.DriveId == driveId).Disk;

    /// <summary>Why a write of <paramref name="length"/> bytes at <paramref name="offset"/> to <paramref name="driveId"/> cannot be applied, or null.</summary>
    public string? CheckDiskWrite(string driveId, long offset, int length) =>
        Pci.Disks.FirstOrDefault(d => d.DriveId == driveId).Disk is not { } disk ? $"no drive '{driveId}'"
        : disk.ReadOnly ? $"drive '{driveId}' is read-only"
        : offset < 0 || offset % 512 != 0 || length % 512 != 0 || offset > disk.Length - length ? $"a write of {length} bytes at {offset} does not fit drive '{driveId}' ({disk.Length} bytes)"
        : null;

    /// <summary>A standby writes committed checkpoints' disk writes, in order: to its own copies at each commit, or to shared images its primary may not have flushed, once promoted.</summary>
    public void ApplyDiskWrites(IEnumerable<DiskWrite> writes)
    {
        foreach (var w in writes) Drive(w.DriveId).WriteThrough(w.Data, w.Offset);
    }

    /// <summary>Drains in-flight block I/O and flushes disks: the devices are quiet and their state final.</summary>
    public void PauseDevices() => Pci.PauseDevices();

    public void ResumeDevices() => Pci.ResumeDevices();

    /// <summary>Takes every disk's image lock; throws <see cref="MachineException"/> naming the drive, image and holder.</summary>
    public void LockDisks()
    {
        try
        {
            Pci.LockDisks();
        }
        catch (Tern.Devices.Virtio.Block.ImageLockedException e)
        {
            throw new MachineException(e.Message, e);
        }
    }

    /// <summary>Lets go of every disk's image lock (see <see cref="PciPlatform.UnlockDisks"/>).</summary>
    public void UnlockDisks() => Pci.UnlockDisks();

    /// <summary>Every device's state (call with vCPUs and devices paused).</summary>
    public IReadOnlyList<ComponentState> SaveDeviceStates() => DeviceStates.Save(_legacy, Pci);

    /// <summary>Everything the guest can notice: vCPUs, devices, irqchip/PIT/kvmclock (vCPUs and devices paused).</summary>
    public IReadOnlyList<ComponentState> SaveState() => MachineStates.Save(_vm, Vcpus, _legacy, Pci);

    /// <summary>
    /// Restores this machine's own state onto itself, before a migration arrives: the first save and
    /// restore in a process cost tens of milliseconds (code, type and serializer setup), which would
    /// otherwise fall inside the guest's pause at switch-over. Only before the vCPUs ever ran.
    /// </summary>
    public void RehearseRestore() => RestoreState(SaveState());

    /// <summary>Restores a migrated machine before its vCPUs first run; throws <see cref="MachineException"/> naming the component.</summary>
    public void RestoreState(IReadOnlyList<ComponentState> states) => MachineStates.Restore(states, _vm, Vcpus, _legacy, Pci);

    /// <summary>After a completed migration the source gives its guest RAM back to the host.</summary>
    public void DiscardMemory()
    {
        foreach (var r in Memory.Regions) r.Discard();
    }

    /// <summary>Restores every device from a migration; throws <see cref="MachineException"/> naming the component on bad state.</summary>
    public void RestoreDeviceStates(IReadOnlyList<ComponentState> states) => DeviceStates.Restore(states, _legacy, Pci);

    /// <summary>One round of announcing every NIC's MAC on its TAP (after an incoming migration resumed the guest).</summary>
    public void AnnounceNetwork() => Pci.AnnounceNetwork();

    /// <summary>Presses the ACPI power button (QMP system_powerdown).</summary>
    public void PressPowerButton() => _legacy.Pm.PressPowerButton();

    /// <summary>
    /// Builds the machine. When the guest asks to power off or reset through a device (ACPI PM,
    /// i8042, the 0xCF9 register), the vCPU that asked ends with that outcome.
    /// </summary>
    public static Machine Create(VmConfig config, MachineConsole console)
    {
        var power = new PowerLatch();
        Action<MachinePowerEvent> onPower = power.Request;
        if (config.MachineType != "q35") throw new MachineException($"unsupported machine type '{config.MachineType}'");
        var owned = new Stack<IDisposable>();
        try
        {
            var kvm = Own(owned, OpenKvm());
            var vm = Own(owned, kvm.CreateVm());
            vm.SetIdentityMapAddress(MemoryLayout.IdentityMapAddress);
            vm.SetTssAddress(MemoryLayout.TssAddress);
            vm.CreateIrqchip();
            vm.CreatePit();

            var memory = Own(owned, AllocateRam(config));
            vm.MapMemory(memory);

            var io = new DeviceBus("port I/O");
            var mmio = new DeviceBus("MMIO");
            ISerialSink sink = console.Output is { } output ? new StreamSerialSink(output) : new NullSerialSink();
            var held = new HeldConsole(sink, console.Output as IConsoleHistory);
            var legacy = LegacyDevices.Create(vm, io, config.MemoryBytes, held, onPower);

            var pci = Own(owned, BuildPci(config, memory, vm));
            pci.Attach(io, mmio, () => onPower(MachinePowerEvent.Reset));
            var registrar = new IoEventFdRegistrar(vm);
            pci.Root.BarObserver = registrar;
            registrar.RegisterAll(pci.Root);

            var entry = LoadKernel(memory, config); // with the MP and ACPI tables
            var vcpus = VcpuSetup.Create(kvm, vm, memory, config, entry);
            foreach (var v in vcpus) owned.Push(v);

            pci.StartIo();
            var pump = console.Input is { } input ? SerialInputPump.Start(input, legacy.Serial) : null;
            return new Machine(config, kvm, vm, memory, io, mmio, legacy, pci, vcpus, pump, power, held);
        }
        catch
        {
            while (owned.Count > 0) owned.Pop().Dispose();
            throw;
        }
    }

    private static T Own<T>(Stack<IDisposable> owned, T resource) where T : IDisposable
    {
        owned.Push(resource);
        return resource;
    }

    private static KvmSystem OpenKvm()
    {
        try
        {
            return new KvmSystem();
        }
        catch (KvmException e)
        {
            throw new MachineException($"cannot use /dev/kvm: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(e.Errno)}", e);
        }
    }

    private static GuestMemory AllocateRam(VmConfig config)
    {
        var backing = new GuestMemoryBacking
        {
            Path = config.MemoryBacking.Path,
            Prealloc = config.MemoryBacking.Prealloc,
            Shared = config.Machine.MemShare,
            DumpInCore = config.Machine.DumpGuestCore,
        };
        try
        {
            return GuestMemory.ForRamSize(config.MemoryBytes, backing);
        }
        catch (GuestMemoryBackingException e)
        {
            throw new MachineException(e.Message, e);
        }
        catch (KvmException e)
        {
            throw new MachineException($"cannot allocate {config.MemoryBytes >> 20} MiB of guest memory: {e.Message}", e);
        }
    }

    private static PciPlatform BuildPci(VmConfig config, GuestMemory memory, Vm vm)
    {
        try
        {
            return PciPlatform.Build(config, memory, new KvmMsiSink(vm));
        }
        catch (PciBuildException e)
        {
            throw new MachineException(e.Message, e);
        }
    }

    private static BootEntry LoadKernel(GuestMemory memory, VmConfig config)
    {
        try
        {
            var boot = config.Boot;
            return KernelLoader.Load(memory, new BootSpec(boot.KernelPath, boot.InitrdPath, boot.Cmdline, config.Vcpus, config.MemoryBytes));
        }
        catch (BootException e)
        {
            throw new MachineException(e.Message, e);
        }
    }

    public void Dispose()
    {
        _inputPump?.Stop();
        Pci.StopIo();
        foreach (var v in Vcpus) v.Dispose();
        Pci.Dispose();
        _vm.Dispose();
        Memory.Dispose();
        _kvm.Dispose();
    }
}
