namespace Tern.Devices.Bus;

/// <summary>
/// A device on the port-I/O or MMIO bus: a register state machine. Offsets are relative to the
/// start of the range the device was inserted at. Called from vCPU threads; a device that keeps
/// state guards it itself.
/// </summary>
public interface IBusDevice
{
    void Read(ulong offset, Span<byte> data);

    void Write(ulong offset, ReadOnlySpan<byte> data);
}
