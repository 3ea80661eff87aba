using System.Buffers.Binary;
using Tern.Kvm.Interop;
using Tern.Kvm.State;

namespace Tern.Kvm.Tests.State;

/// <summary>The binary encodings round-trip, and refuse every truncated, oversized or garbled input with a typed error.</summary>
public class StateEncodingTests
{
    // Offsets in the VcpuState encoding: header 6, id 4, regs 144, sregs 312, fpu kind 1, then the XSAVE length.
    private const int XsaveLengthOffset = 6 + 4 + 144 + 312 + 1;

    [Fact]
    public void Vcpu_state_round_trips_through_its_encoding()
    {
        var state = SampleStates.Vcpu(xsaveLength: 11008);
        var decoded = VcpuState.FromBytes(state.ToBytes());
        Assert.Equal(state, decoded);
        Assert.Equal(state.ToBytes(), decoded.ToBytes());
    }

    [Fact]
    public void Legacy_fpu_state_round_trips_through_its_encoding()
    {
        var state = SampleStates.Vcpu() with { Xsave = null, Fpu = new byte[Vcpu.FpuStateSize], Xcrs = [] };
        Assert.Equal(state, VcpuState.FromBytes(state.ToBytes()));
    }

    [Fact]
    public void Vm_state_round_trips_through_its_encoding()
    {
        var state = SampleStates.Vm();
        Assert.Equal(state, VmKvmState.FromBytes(state.ToBytes()));
    }

    [Fact]
    public void Every_truncation_of_a_vcpu_state_is_refused()
    {
        var bytes = SampleStates.Vcpu().ToBytes();
        for (int length = 0; length < bytes.Length; length++)
            Assert.Throws<KvmStateException>(() => VcpuState.FromBytes(bytes.AsSpan(0, length)));
    }

    [Fact]
    public void Every_truncation_of_a_vm_state_is_refused()
    {
        var bytes = SampleStates.Vm().ToBytes();
        for (int length = 0; length < bytes.Length; length++)
            Assert.Throws<KvmStateException>(() => VmKvmState.FromBytes(bytes.AsSpan(0, length)));
    }

    [Fact]
    public void Trailing_bytes_are_refused()
    {
        Assert.Throws<KvmStateException>(() => VcpuState.FromBytes([.. SampleStates.Vcpu().ToBytes(), 0]));
        Assert.Throws<KvmStateException>(() => VmKvmState.FromBytes([.. SampleStates.Vm().ToBytes(), 0]));
    }

    [Theory]
    [InlineData(0xffff_ffffu)]
    [InlineData(VcpuState.MaxXsaveSize + 1u)]
    [InlineData(4095u)]
    public void An_xsave_length_out_of_bounds_is_refused_before_allocating(uint length)
    {
        var bytes = SampleStates.Vcpu().ToBytes();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(XsaveLengthOffset), length);
        Assert.Equal("Xsave", Assert.Throws<KvmStateException>(() => VcpuState.FromBytes(bytes)).Field);
    }

    [Fact]
    public void Oversized_xcr_and_msr_counts_are_refused()
    {
        var state = SampleStates.Vcpu();
        var bytes = state.ToBytes();
        int xcrCountOffset = XsaveLengthOffset + 4 + state.Xsave!.Length;
        int msrCountOffset = xcrCountOffset + 4 + state.Xcrs.Length * 12;

        var xcrs = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(xcrs.AsSpan(xcrCountOffset), 17);
        Assert.Equal("Xcrs", Assert.Throws<KvmStateException>(() => VcpuState.FromBytes(xcrs)).Field);

        var msrs = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(msrs.AsSpan(msrCountOffset), 0x7fff_ffff);
        Assert.Equal("Msrs", Assert.Throws<KvmStateException>(() => VcpuState.FromBytes(msrs)).Field);
    }

    [Fact]
    public void Wrong_magic_and_version_are_refused()
    {
        var bytes = SampleStates.Vcpu().ToBytes();
        var magic = (byte[])bytes.Clone();
        magic[0] ^= 0xff;
        Assert.Equal("Magic", Assert.Throws<KvmStateException>(() => VcpuState.FromBytes(magic)).Field);
        var version = (byte[])bytes.Clone();
        version[4] = 99;
        Assert.Equal("Version", Assert.Throws<KvmStateException>(() => VcpuState.FromBytes(version)).Field);
        Assert.Equal("Magic", Assert.Throws<KvmStateException>(() => VmKvmState.FromBytes(bytes)).Field);
    }

    [Fact]
    public void Random_bytes_and_random_corruptions_only_ever_fail_with_the_typed_error()
    {
        var random = new Random(42);
        var vcpu = SampleStates.Vcpu().ToBytes();
        var vm = SampleStates.Vm().ToBytes();
        for (int i = 0; i < 2000; i++)
        {
            var garbage = new byte[random.Next(0, 8000)];
            random.NextBytes(garbage);
            Assert.Throws<KvmStateException>(() => VcpuState.FromBytes(garbage));
            Assert.Throws<KvmStateException>(() => VmKvmState.FromBytes(garbage));
            DecodesOrFailsTyped(() => VcpuState.FromBytes(Corrupt(vcpu, random)));
            DecodesOrFailsTyped(() => VmKvmState.FromBytes(Corrupt(vm, random)));
        }
    }

    private static byte[] Corrupt(byte[] valid, Random random)
    {
        var bytes = (byte[])valid.Clone();
        for (int n = random.Next(1, 4); n > 0; n--) bytes[random.Next(6, bytes.Length)] = (byte)random.Next(256);
        return bytes;
    }

    private static void DecodesOrFailsTyped(Action decode)
    {
        try
        {
            decode();
        }
        catch (KvmStateException)
        {
        }
    }

    public static TheoryData<string, Func<VcpuState, VcpuState>> BadVcpuStates => new()
    {
        { "VcpuId", s => s with { VcpuId = -1 } },
        { "Lapic", s => s with { Lapic = new byte[1000] } },
        { "Xsave", s => s with { Fpu = new byte[Vcpu.FpuStateSize] } },
        { "Xsave", s => s with { Xsave = null } },
        { "Fpu", s => s with { Xsave = null, Fpu = new byte[10] } },
        { "Xcrs[XCR0]", s => s with { Xcrs = [(0, 6)] } },
        { "Msrs[0x808]", s => s with { Msrs = [(0x808, 0)] } },
        { "Msrs[0x10]", s => s with { Msrs = [(0x10, 1), (0x10, 2)] } },
        { "MpState", s => s with { MpState = 7 } },
        { "Events.exception.nr", s => s with { Events = new kvm_vcpu_events { exception_injected = 1, exception_nr = 40 } } },
        { "Events.exception.nr", s => s with { Events = new kvm_vcpu_events { exception_pending = 1, exception_nr = 2 } } },
        { "Events.flags", s => s with { Events = new kvm_vcpu_events { flags = 0x100 } } },
        { "Events.nmi.masked", s => s with { Events = new kvm_vcpu_events { nmi_masked = 5 } } },
        { "DebugRegs.flags", s => s with { DebugRegs = new kvm_debugregs { flags = 1 } } },
        { "DebugRegs.dr7", s => s with { DebugRegs = new kvm_debugregs { dr7 = 1UL << 40 } } },
        { "Sregs.cr8", s => s with { Sregs = s.Sregs with { cr8 = 16 } } },
        { "Sregs.interrupt_bitmap", TwoPendingInterrupts },
        { "TscKhz", s => s with { TscKhz = uint.MaxValue } },
    };

    [Theory]
    [MemberData(nameof(BadVcpuStates))]
    public void Obviously_bad_vcpu_values_are_refused_naming_the_field(string field, Func<VcpuState, VcpuState> spoil)
    {
        var bad = spoil(SampleStates.Vcpu());
        Assert.Equal(field, Assert.Throws<KvmStateException>(bad.Validate).Field);
        Assert.Throws<KvmStateException>(bad.ToBytes); // nothing invalid is ever encoded either
    }

    private static unsafe VcpuState TwoPendingInterrupts(VcpuState s)
    {
        var sregs = s.Sregs;
        sregs.interrupt_bitmap[0] = 0b11;
        return s with { Sregs = sregs };
    }

    public static TheoryData<string, Func<VmKvmState, VmKvmState>> BadVmStates => new()
    {
        { "PicMaster", s => s with { PicMaster = new byte[10] } },
        { "PicSlave.priority_add", s => s with { PicSlave = WithByte(s.PicSlave, 4, 9) } },
        { "PicMaster.init_state", s => s with { PicMaster = WithByte(s.PicMaster, 9, 4) } },
        { "Ioapic.base_address", s => s with { Ioapic = new byte[VmKvmState.ChipSize] } },
        { "Ioapic.id", s => s with { Ioapic = WithByte(s.Ioapic, 12, 0x10) } },
        { "Pit.channel0.count", s => s with { Pit = s.Pit with { channel0 = s.Pit.channel0 with { count = 0x20000 } } } },
        { "Pit.channel1.mode", s => s with { Pit = s.Pit with { channel1 = s.Pit.channel1 with { mode = 6 } } } },
        { "Pit.flags", s => s with { Pit = s.Pit with { flags = 8 } } },
    };

    [Theory]
    [MemberData(nameof(BadVmStates))]
    public void Obviously_bad_vm_values_are_refused_naming_the_field(string field, Func<VmKvmState, VmKvmState> spoil)
    {
        var bad = spoil(SampleStates.Vm());
        Assert.Equal(field, Assert.Throws<KvmStateException>(bad.Validate).Field);
    }

    private static byte[] WithByte(byte[] chip, int offset, byte value)
    {
        var copy = (byte[])chip.Clone();
        copy[offset] = value;
        return copy;
    }
}
