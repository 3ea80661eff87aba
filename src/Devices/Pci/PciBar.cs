namespace Tern.Devices.Pci;

public enum PciBarKind { Memory32, Memory64, Io }

/// <summary>A BAR a device declares: its index (a 64-bit BAR also uses index+1), kind and size.</summary>
public sealed record PciBarDefinition(int Index, PciBarKind Kind, ulong Size, bool Prefetchable = false)
{
    public bool IsMemory => Kind != PciBarKind.Io;
}
