using System.Numerics;

namespace Tern.Devices.Pci;

/// <summary>
/// The part every PCI function shares: the configuration space and its BARs. BAR registers get
/// write masks from their size, so the guest's all-ones sizing write reads back the size mask
/// with no special case; <see cref="DecodedAddress"/> derives the live mapping from the registers.
/// </summary>
public abstract class PciFunction : IPciDevice
{
    private readonly List<PciBarDefinition> _bars = [];

    protected PciFunction(string name, PciConfigSpace config)
    {
        Name = name;
        Config = config;
    }

    public string Name { get; }

    protected PciConfigSpace Config { get; }

    public IReadOnlyList<PciBarDefinition> Bars => _bars;

    /// <summary>Declares a BAR: sets its type bits and the write mask that makes sizing work.</summary>
    protected void DeclareBar(PciBarDefinition bar)
    {
        int last = bar.Kind == PciBarKind.Memory64 ? bar.Index + 1 : bar.Index;
        if (bar.Index < 0 || last >= PciRegisters.BarCount)
            throw new ArgumentOutOfRangeException(nameof(bar), $"BAR index {bar.Index} out of range");
        ulong minimum = bar.Kind == PciBarKind.Io ? 4UL : 16UL;
        if (bar.Size < minimum || !BitOperations.IsPow2(bar.Size) || (bar.Kind != PciBarKind.Memory64 && bar.Size > 1UL << 31))
            throw new ArgumentOutOfRangeException(nameof(bar), $"BAR size 0x{bar.Size:x} is not a valid power of two");
        if (_bars.Any(b => b.Index <= last && bar.Index <= (b.Kind == PciBarKind.Memory64 ? b.Index + 1 : b.Index)))
            throw new InvalidOperationException($"BAR {bar.Index} overlaps another BAR");

        int reg = PciRegisters.Bar0 + 4 * bar.Index;
        ulong addressMask = ~(bar.Size - 1);
        switch (bar.Kind)
        {
            case PciBarKind.Io:
                Config.SetU32(reg, 0x1);
                Config.SetWriteMask32(reg, (uint)addressMask & ~0x3u);
                break;
            case PciBarKind.Memory32:
                Config.SetU32(reg, bar.Prefetchable ? 0x8u : 0u);
                Config.SetWriteMask32(reg, (uint)addressMask & ~0xfu);
                break;
            case PciBarKind.Memory64:
                Config.SetU32(reg, 0x4u | (bar.Prefetchable ? 0x8u : 0u));
                Config.SetWriteMask32(reg, (uint)addressMask & ~0xfu);
                Config.SetU32(reg + 4, 0);
                Config.SetWriteMask32(reg + 4, (uint)(addressMask >> 32));
                break;
        }
        _bars.Add(bar);
    }

    public PciBarDefinition? FindBar(int index) => _bars.Find(b => b.Index == index);

    public virtual void ReadConfig(int offset, Span<byte> data) => Config.Read(offset, data);

    public virtual void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        Config.GuestWrite(offset, data);
        OnConfigWritten(offset, data.Length);
    }

    /// <summary>A hook for capabilities with side effects (MSI-X enable and mask bits).</summary>
    protected virtual void OnConfigWritten(int offset, int length) { }

    /// <summary>The address currently in the BAR registers, whether or not it decodes.</summary>
    public ulong ProgrammedAddress(int barIndex)
    {
        var bar = FindBar(barIndex) ?? throw new ArgumentOutOfRangeException(nameof(barIndex));
        int reg = PciRegisters.Bar0 + 4 * barIndex;
        ulong low = Config.ReadU32(reg);
        return bar.Kind switch
        {
            PciBarKind.Io => low & ~0x3UL,
            PciBarKind.Memory32 => low & ~0xfUL,
            _ => (low & ~0xfUL) | ((ulong)Config.ReadU32(reg + 4) << 32),
        };
    }

    public ulong? DecodedAddress(int barIndex)
    {
        var bar = FindBar(barIndex);
        if (bar is null) return null;
        ushort command = Config.ReadU16(PciRegisters.Command);
        bool enabled = bar.IsMemory ? (command & PciRegisters.CommandMemory) != 0 : (command & PciRegisters.CommandIo) != 0;
        if (!enabled) return null;
        ulong address = ProgrammedAddress(barIndex);
        ulong limit = bar.Kind switch
        {
            PciBarKind.Io => 0x1_0000,
            PciBarKind.Memory32 => 0x1_0000_0000,
            _ => ulong.MaxValue,
        };
        // Zero, or a range that reaches the top of its space (the all-ones sizing pattern), does not decode.
        if (address == 0 || address >= limit - bar.Size) return null;
        return address;
    }

    public void ProgramBar(int barIndex, ulong address)
    {
        var bar = FindBar(barIndex) ?? throw new ArgumentOutOfRangeException(nameof(barIndex));
        if ((address & (bar.Size - 1)) != 0) throw new ArgumentException($"BAR address 0x{address:x} is not aligned to its size 0x{bar.Size:x}");
        int reg = PciRegisters.Bar0 + 4 * barIndex;
        uint flags = Config.ReadU32(reg) & (bar.Kind == PciBarKind.Io ? 0x3u : 0xfu);
        Config.SetU32(reg, (uint)address | flags);
        if (bar.Kind == PciBarKind.Memory64) Config.SetU32(reg + 4, (uint)(address >> 32));
    }

    /// <summary>Turns on decoding of the spaces this function's BARs use (what firmware does).</summary>
    public void EnableDecoding()
    {
        ushort command = Config.ReadU16(PciRegisters.Command);
        if (_bars.Any(b => b.IsMemory)) command |= PciRegisters.CommandMemory;
        if (_bars.Any(b => !b.IsMemory)) command |= PciRegisters.CommandIo;
        Config.SetU16(PciRegisters.Command, command);
    }

    public virtual void ReadBar(int barIndex, ulong offset, Span<byte> data) => data.Clear();

    public virtual void WriteBar(int barIndex, ulong offset, ReadOnlySpan<byte> data) { }
}
