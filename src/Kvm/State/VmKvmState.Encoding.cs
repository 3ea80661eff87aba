using Tern.Kvm.Interop;

namespace Tern.Kvm.State;

// The compact binary form of a VmKvmState (little-endian, kernel structs as their raw bytes):
//   u32 magic "TVMK", u16 version, PIC master (512), PIC slave (512), IOAPIC (512),
//   kvm_pit_state2 (112), kvm_clock_data (48).
public sealed partial record VmKvmState
{
    private const uint Magic = 0x4b4d5654; // "TVMK"

    public void Write(BinaryWriter writer)
    {
        Validate();
        StateEncoding.WriteHeader(writer, Magic, Version);
        writer.Write(PicMaster);
        writer.Write(PicSlave);
        writer.Write(Ioapic);
        StateEncoding.WriteStruct(writer, Pit);
        StateEncoding.WriteStruct(writer, Clock);
    }

    /// <summary>Decodes and validates one state; throws <see cref="KvmStateException"/> on any bad input.</summary>
    public static VmKvmState Read(BinaryReader reader) => StateEncoding.Decode(nameof(VmKvmState), () =>
    {
        StateEncoding.ReadHeader(reader, Magic, CurrentVersion, "VM KVM state");
        var state = new VmKvmState
        {
            PicMaster = StateEncoding.ReadFixed(reader, ChipSize),
            PicSlave = StateEncoding.ReadFixed(reader, ChipSize),
            Ioapic = StateEncoding.ReadFixed(reader, ChipSize),
            Pit = StateEncoding.ReadStruct<kvm_pit_state2>(reader),
            Clock = StateEncoding.ReadStruct<kvm_clock_data>(reader),
        };
        state.Validate();
        return state;
    });

    public byte[] ToBytes() => StateEncoding.ToBytes(Write);

    /// <summary>Decodes exactly <paramref name="bytes"/>: trailing bytes are an error too.</summary>
    public static VmKvmState FromBytes(ReadOnlySpan<byte> bytes) => StateEncoding.FromBytes(bytes, Read);
}
