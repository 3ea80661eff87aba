namespace Tern.Devices.Pci;

/// <summary>
/// A PCI function on the root bus. Configuration accesses arrive serialised by the root (from
/// vCPU threads); BAR accesses arrive from vCPU threads directly, so the device guards its state.
/// </summary>
public interface IPciDevice
{
    /// <summary>The id used in messages (the <c>-device id=</c>, or a fixed name).</summary>
    string Name { get; }

    void ReadConfig(int offset, Span<byte> data);

    void WriteConfig(int offset, ReadOnlySpan<byte> data);

    IReadOnlyList<PciBarDefinition> Bars { get; }

    /// <summary>
    /// Where the BAR decodes now: its programmed address when the command register enables its
    /// space and the address is usable, else null.
    /// </summary>
    ulong? DecodedAddress(int barIndex);

    /// <summary>Programs a BAR's address (the machine builder does what firmware would).</summary>
    void ProgramBar(int barIndex, ulong address);

    void ReadBar(int barIndex, ulong offset, Span<byte> data);

    void WriteBar(int barIndex, ulong offset, ReadOnlySpan<byte> data);
}
