using Tern.Kvm.Interop;

namespace Tern.Kvm.State;

// The compact binary form of a VcpuState (little-endian, kernel structs as their raw bytes):
//   u32 magic "TVCP", u16 version, i32 vcpu id, kvm_regs (144), kvm_sregs (312),
//   u8 fpu kind (1 = XSAVE, 2 = legacy FPU), u32 length + bytes,
//   u32 count + count x (u32 xcr, u64 value), u32 count + count x (u32 msr, u64 value),
//   kvm_lapic_state (1024), kvm_vcpu_events (64), u32 mp_state, kvm_debugregs (128), u32 tsc_khz.
public sealed partial record VcpuState
{
    private const uint Magic = 0x50435654; // "TVCP"
    private const byte FpuKindXsave = 1;
    private const byte FpuKindLegacy = 2;

    public void Write(BinaryWriter writer)
    {
        Validate();
        StateEncoding.WriteHeader(writer, Magic, Version);
        writer.Write(VcpuId);
        StateEncoding.WriteStruct(writer, Regs);
        StateEncoding.WriteStruct(writer, Sregs);
        writer.Write(Xsave is not null ? FpuKindXsave : FpuKindLegacy);
        StateEncoding.WriteBlob(writer, Xsave ?? Fpu);
        WritePairs(writer, Xcrs);
        WritePairs(writer, Msrs);
        writer.Write(Lapic);
        StateEncoding.WriteStruct(writer, Events);
        writer.Write(MpState);
        StateEncoding.WriteStruct(writer, DebugRegs);
        writer.Write(TscKhz);
    }

    /// <summary>Decodes and validates one state; throws <see cref="KvmStateException"/> on any bad input.</summary>
    public static VcpuState Read(BinaryReader reader) => StateEncoding.Decode(nameof(VcpuState), () =>
    {
        StateEncoding.ReadHeader(reader, Magic, CurrentVersion, "vCPU state");
        int id = reader.ReadInt32();
        var regs = StateEncoding.ReadStruct<kvm_regs>(reader);
        var sregs = StateEncoding.ReadStruct<kvm_sregs>(reader);
        byte kind = reader.ReadByte();
        byte[]? xsave = null, fpu = null;
        switch (kind)
        {
            case FpuKindXsave:
                xsave = StateEncoding.ReadBlob(reader, nameof(Xsave), Vcpu.XsaveLegacySize, MaxXsaveSize);
                break;
            case FpuKindLegacy:
                fpu = StateEncoding.ReadBlob(reader, nameof(Fpu), Vcpu.FpuStateSize, Vcpu.FpuStateSize);
                break;
            default:
                throw new KvmStateException("FpuKind", $"{kind} is neither XSAVE nor FPU");
        }
        var state = new VcpuState
        {
            VcpuId = id,
            Regs = regs,
            Sregs = sregs,
            Xsave = xsave,
            Fpu = fpu,
            Xcrs = ReadPairs(reader, nameof(Xcrs), 16),
            Msrs = ReadPairs(reader, nameof(Msrs), SaveableMsrs.MaxCount),
            Lapic = StateEncoding.ReadFixed(reader, LapicSize),
            Events = StateEncoding.ReadStruct<kvm_vcpu_events>(reader),
            MpState = reader.ReadUInt32(),
            DebugRegs = StateEncoding.ReadStruct<kvm_debugregs>(reader),
            TscKhz = reader.ReadUInt32(),
        };
        state.Validate();
        return state;
    });

    /// <summary>The encoding as one array (for tests and for framing by the migration stream).</summary>
    public byte[] ToBytes() => StateEncoding.ToBytes(Write);

    /// <summary>Decodes exactly <paramref name="bytes"/>: trailing bytes are an error too.</summary>
    public static VcpuState FromBytes(ReadOnlySpan<byte> bytes) => StateEncoding.FromBytes(bytes, Read);

    private static void WritePairs(BinaryWriter writer, (uint Index, ulong Value)[] pairs)
    {
        writer.Write((uint)pairs.Length);
        foreach (var (index, value) in pairs)
        {
            writer.Write(index);
            writer.Write(value);
        }
    }

    private static (uint Index, ulong Value)[] ReadPairs(BinaryReader reader, string field, int max)
    {
        int count = StateEncoding.ReadCount(reader, field, max);
        var pairs = new (uint, ulong)[count];
        for (int i = 0; i < count; i++) pairs[i] = (reader.ReadUInt32(), reader.ReadUInt64());
        return pairs;
    }
}
