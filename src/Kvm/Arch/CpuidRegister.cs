namespace Tern.Kvm.Arch;

public enum CpuidRegister { Eax, Ebx, Ecx, Edx }

/// <summary>One CPUID feature bit: leaf, subleaf (0 when the leaf has none), register and bit number.</summary>
public readonly record struct CpuidFeatureBit(uint Leaf, uint Subleaf, CpuidRegister Register, int Bit);
