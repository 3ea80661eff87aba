using System.Runtime.InteropServices;

namespace Tern.Kvm.Sandbox;

/// <summary>
/// One classic BPF instruction, laid out as linux/filter.h's <c>struct sock_filter</c> (8 bytes),
/// so that an array of them is the program the kernel reads.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct BpfInstruction(ushort Code, byte JumpIfTrue, byte JumpIfFalse, uint K)
{
    // Instruction classes and modes (linux/bpf_common.h): only those a seccomp allowlist needs.
    public const ushort LoadWordAbsolute = 0x00 | 0x00 | 0x20; // BPF_LD | BPF_W | BPF_ABS
    public const ushort JumpIfEqual = 0x05 | 0x10 | 0x00;      // BPF_JMP | BPF_JEQ | BPF_K
    public const ushort JumpIfGreaterOrEqual = 0x05 | 0x30;    // BPF_JMP | BPF_JGE | BPF_K
    public const ushort Return = 0x06 | 0x00;                  // BPF_RET | BPF_K

    public static BpfInstruction Load(uint offset) => new(LoadWordAbsolute, 0, 0, offset);

    public static BpfInstruction Jump(ushort code, uint k, byte ifTrue, byte ifFalse) => new(code, ifTrue, ifFalse, k);

    public static BpfInstruction Ret(uint value) => new(Return, 0, 0, value);
}
