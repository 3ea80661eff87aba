using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Tern.Kvm.Arch;
using Tern.Kvm.Interop;

namespace Tern.Kvm.State;

/// <summary>
/// The VM-wide state KVM holds: the in-kernel irqchip (PIC master, PIC slave, IOAPIC as their
/// 512-byte kvm_irqchip unions), the PIT and kvmclock. Saved by <see cref="Save"/> after every vCPU
/// has stopped; restored by <see cref="Restore"/> after every vCPU's <see cref="VcpuState"/>.
/// </summary>
public sealed partial record VmKvmState
{
    public const int CurrentVersion = 1;
    public const int ChipSize = 512;
    public const uint PicMasterId = 0;
    public const uint PicSlaveId = 1;
    public const uint IoapicId = 2;
    private const uint KnownPitFlags = 0x3; // KVM_PIT_FLAGS_HPET_LEGACY | KVM_PIT_FLAGS_SPEAKER_DATA_ON
    private const int IoapicIdMax = 0xf;
    private const byte PitModeUnprogrammed = 0xff; // what KVM's PIT reset leaves in each channel

    public int Version { get; init; } = CurrentVersion;
    public required byte[] PicMaster { get; init; }
    public required byte[] PicSlave { get; init; }
    public required byte[] Ioapic { get; init; }
    public required kvm_pit_state2 Pit { get; init; }

    /// <summary>kvm_clock_data as KVM_GET_CLOCK gave it; only <c>clock</c> is restored.</summary>
    public required kvm_clock_data Clock { get; init; }

    public kvm_pic_state PicMasterState => MemoryMarshal.Read<kvm_pic_state>(PicMaster);
    public kvm_pic_state PicSlaveState => MemoryMarshal.Read<kvm_pic_state>(PicSlave);
    public kvm_ioapic_state IoapicState => MemoryMarshal.Read<kvm_ioapic_state>(Ioapic);

    /// <summary>Throws <see cref="KvmStateException"/> naming the first malformed or out-of-range field.</summary>
    public void Validate()
    {
        if (Version != CurrentVersion) Fail(nameof(Version), $"{Version} is not supported (expected {CurrentVersion})");
        RequireChip(PicMaster, nameof(PicMaster));
        RequireChip(PicSlave, nameof(PicSlave));
        RequireChip(Ioapic, nameof(Ioapic));
        ValidatePic(PicMasterState, nameof(PicMaster));
        ValidatePic(PicSlaveState, nameof(PicSlave));
        ValidateIoapic(IoapicState);
        ValidatePit(Pit);
    }

    private static void RequireChip(byte[]? chip, string field)
    {
        if (chip is null || chip.Length != ChipSize) Fail(field, $"must be {ChipSize} bytes, not {chip?.Length}");
    }

    private static void ValidatePic(in kvm_pic_state pic, string f)
    {
        // The fields KVM's i8259 model uses as flags or small indexes; the registers may hold any byte.
        RequireBool(pic.read_reg_select, $"{f}.read_reg_select");
        RequireBool(pic.poll, $"{f}.poll");
        RequireBool(pic.special_mask, $"{f}.special_mask");
        RequireBool(pic.auto_eoi, $"{f}.auto_eoi");
        RequireBool(pic.rotate_on_auto_eoi, $"{f}.rotate_on_auto_eoi");
        RequireBool(pic.special_fully_nested_mode, $"{f}.special_fully_nested_mode");
        RequireBool(pic.init4, $"{f}.init4");
        if (pic.init_state > 3) Fail($"{f}.init_state", $"{pic.init_state} (ICW state 0-3)");
        if (pic.priority_add > 7) Fail($"{f}.priority_add", $"{pic.priority_add} (0-7)");
        if ((pic.irq_base & 7) != 0) Fail($"{f}.irq_base", $"0x{pic.irq_base:x} is not 8-aligned");
    }

    private static void ValidateIoapic(in kvm_ioapic_state ioapic)
    {
        // KVM takes the MMIO window from the state: a moved IOAPIC would shadow other devices.
        if (ioapic.base_address != MemoryLayout.IoApicBase)
            Fail("Ioapic.base_address", $"0x{ioapic.base_address:x} (the IOAPIC is at 0x{MemoryLayout.IoApicBase:x})");
        if (ioapic.ioregsel > 0xff) Fail("Ioapic.ioregsel", $"0x{ioapic.ioregsel:x} (8 bits)");
        if (ioapic.id > IoapicIdMax) Fail("Ioapic.id", $"{ioapic.id} (4 bits)");
        if (ioapic.irr >> kvm_ioapic_state.Pins != 0) Fail("Ioapic.irr", $"0x{ioapic.irr:x} names pins past {kvm_ioapic_state.Pins - 1}");
    }

    private static void ValidatePit(in kvm_pit_state2 pit)
    {
        if ((pit.flags & ~KnownPitFlags) != 0) Fail("Pit.flags", $"unknown bits 0x{pit.flags & ~KnownPitFlags:x}");
        ValidatePitChannel(pit.channel0, "Pit.channel0");
        ValidatePitChannel(pit.channel1, "Pit.channel1");
        ValidatePitChannel(pit.channel2, "Pit.channel2");
    }

    private static void ValidatePitChannel(in kvm_pit_channel_state c, string f)
    {
        if (c.count > 0x10000) Fail($"{f}.count", $"0x{c.count:x} exceeds a 16-bit counter (0 means 0x10000)");
        if (c.mode > 5 && c.mode != PitModeUnprogrammed) Fail($"{f}.mode", $"{c.mode} (modes 0-5, or 0xff before the guest programs it)");
        if (c.rw_mode > 4) Fail($"{f}.rw_mode", $"{c.rw_mode} (0-4)");
        if (c.read_state > 4) Fail($"{f}.read_state", $"{c.read_state} (0-4)");
        if (c.write_state > 4) Fail($"{f}.write_state", $"{c.write_state} (0-4)");
        if (c.count_latched > 4) Fail($"{f}.count_latched", $"{c.count_latched} (0-4)");
        RequireBool(c.status_latched, $"{f}.status_latched");
        RequireBool(c.bcd, $"{f}.bcd");
        RequireBool(c.gate, $"{f}.gate");
    }

    private static void RequireBool(byte value, string field)
    {
        if (value > 1) Fail(field, $"{value} (must be 0 or 1)");
    }

    [DoesNotReturn]
    private static void Fail(string field, string problem) => throw new KvmStateException(field, problem);

    public bool Equals(VmKvmState? other) =>
        other is not null && Version == other.Version
        && StateEncoding.SameBytes(PicMaster, other.PicMaster) && StateEncoding.SameBytes(PicSlave, other.PicSlave)
        && StateEncoding.SameBytes(Ioapic, other.Ioapic) && StateEncoding.SameStruct(Pit, other.Pit)
        && StateEncoding.SameStruct(Clock, other.Clock);

    public override int GetHashCode() => HashCode.Combine(Clock.clock, BinaryPrimitives.ReadUInt64LittleEndian(Ioapic));
}
