using System.Buffers.Binary;
using Tern.Kvm.Sandbox;

namespace Tern.TestSupport.Sandbox;

/// <summary>
/// Runs a seccomp filter as the kernel would, over the <c>struct seccomp_data</c> of one call, so
/// that a filter can be tested as the pure function it is. It knows the classic BPF subset a
/// seccomp allowlist uses and refuses, as the kernel's checker does, a program that could run off
/// its end, jump outside itself or load outside seccomp_data.
/// </summary>
public static class SeccompInterpreter
{
    private const int SeccompDataBytes = 64; // int nr; u32 arch; u64 instruction_pointer; u64 args[6]
    private const ushort JumpAlways = 0x05; // BPF_JMP | BPF_JA
    private const ushort JumpIfGreater = 0x05 | 0x20; // BPF_JMP | BPF_JGT | BPF_K
    private const ushort JumpIfAnyBit = 0x05 | 0x40; // BPF_JMP | BPF_JSET | BPF_K

    /// <summary>The filter's verdict (SECCOMP_RET_*) on call <paramref name="number"/> made under <paramref name="arch"/>.</summary>
    public static uint Run(IReadOnlyList<BpfInstruction> program, uint number, uint arch = SeccompProgram.AuditArchX86_64, params ulong[] args)
    {
        Check(program);
        var data = new byte[SeccompDataBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(data, number);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), arch);
        for (int i = 0; i < args.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(16 + 8 * i), args[i]);

        uint a = 0;
        for (int pc = 0; ; )
        {
            var op = program[pc];
            switch (op.Code)
            {
                case BpfInstruction.LoadWordAbsolute: a = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)op.K)); pc++; break;
                case BpfInstruction.JumpIfEqual: pc += 1 + (a == op.K ? op.JumpIfTrue : op.JumpIfFalse); break;
                case BpfInstruction.JumpIfGreaterOrEqual: pc += 1 + (a >= op.K ? op.JumpIfTrue : op.JumpIfFalse); break;
                case JumpIfGreater: pc += 1 + (a > op.K ? op.JumpIfTrue : op.JumpIfFalse); break;
                case JumpIfAnyBit: pc += 1 + ((a & op.K) != 0 ? op.JumpIfTrue : op.JumpIfFalse); break;
                case JumpAlways: pc += 1 + (int)op.K; break;
                case BpfInstruction.Return: return op.K;
                default: throw new InvalidOperationException($"instruction {pc}: opcode 0x{op.Code:x} is not one a seccomp filter uses here");
            }
        }
    }

    /// <summary>What the kernel's checker refuses (bpf_check_classic, seccomp_check_filter), for the opcodes above.</summary>
    public static void Check(IReadOnlyList<BpfInstruction> program)
    {
        if (program.Count is 0 or > SeccompProgram.MaxInstructions) throw new InvalidOperationException($"{program.Count} instructions");
        if (program[^1].Code != BpfInstruction.Return) throw new InvalidOperationException("the last instruction is not a return");
        for (int pc = 0; pc < program.Count; pc++)
        {
            var op = program[pc];
            long[] targets = op.Code switch
            {
                BpfInstruction.LoadWordAbsolute when op.K % 4 != 0 || op.K + 4 > SeccompDataBytes => throw new InvalidOperationException($"instruction {pc} loads at {op.K}, outside seccomp_data"),
                BpfInstruction.JumpIfEqual or BpfInstruction.JumpIfGreaterOrEqual or JumpIfGreater or JumpIfAnyBit => [pc + 1L + op.JumpIfTrue, pc + 1L + op.JumpIfFalse],
                JumpAlways => [pc + 1L + op.K],
                _ => [],
            };
            if (targets.Any(t => t >= program.Count)) throw new InvalidOperationException($"instruction {pc} jumps past the end");
        }
    }
}
