namespace Tern.Kvm.Sandbox;

/// <summary>What the kernel does with a system call the allowlist does not name.</summary>
public enum SeccompViolation
{
    /// <summary>SECCOMP_RET_KILL_PROCESS: the whole process dies at once of SIGSYS (Firecracker's choice).</summary>
    KillProcess,

    /// <summary>SECCOMP_RET_ERRNO with EPERM: the call fails and the process goes on.</summary>
    FailWithEperm,
}

/// <summary>
/// A seccomp filter as a pure function of an allowlist: the classic BPF program that lets an
/// x86_64 process make exactly <c>allowed</c> system calls. It checks the architecture first (a
/// 32-bit or x32 call has other numbers, so an allowlist of x86_64 numbers would mean something
/// else there) and then compares the call's number with each allowed one in the order given — put
/// the frequent calls first, since a call pays for every comparison before its own.
/// </summary>
public static class SeccompProgram
{
    /// <summary>AUDIT_ARCH_X86_64 (linux/audit.h): EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE.</summary>
    public const uint AuditArchX86_64 = 0xC000003E;

    /// <summary>__X32_SYSCALL_BIT: an x32 call comes with the x86_64 architecture and this bit in its number.</summary>
    public const uint X32SyscallBit = 0x40000000;

    // Offsets into struct seccomp_data (linux/seccomp.h): int nr; __u32 arch; __u64 ip; __u64 args[6].
    public const uint NumberOffset = 0;
    public const uint ArchOffset = 4;

    public const uint RetKillProcess = 0x80000000;
    public const uint RetErrno = 0x00050000;
    public const uint RetAllow = 0x7fff0000;
    public const uint Eperm = 1;

    /// <summary>BPF_MAXINSNS: the kernel refuses a longer program.</summary>
    public const int MaxInstructions = 4096;

    public static BpfInstruction[] Allowing(IEnumerable<Syscall> allowed, SeccompViolation violation)
    {
        uint deny = violation == SeccompViolation.KillProcess ? RetKillProcess : RetErrno | Eperm;
        var program = new List<BpfInstruction>
        {
            BpfInstruction.Load(ArchOffset),
            BpfInstruction.Jump(BpfInstruction.JumpIfEqual, AuditArchX86_64, 1, 0),
            BpfInstruction.Ret(deny),
            BpfInstruction.Load(NumberOffset),
            BpfInstruction.Jump(BpfInstruction.JumpIfGreaterOrEqual, X32SyscallBit, 0, 1),
            BpfInstruction.Ret(deny),
        };
        var seen = new HashSet<Syscall>();
        foreach (var call in allowed)
        {
            if (!seen.Add(call)) continue;
            // Two instructions a call keep every jump at 0 or 1, whatever the list's length (a jump spans at most 255).
            program.Add(BpfInstruction.Jump(BpfInstruction.JumpIfEqual, (uint)call, 0, 1));
            program.Add(BpfInstruction.Ret(RetAllow));
        }
        program.Add(BpfInstruction.Ret(deny));
        if (program.Count > MaxInstructions) throw new ArgumentException($"an allowlist of {seen.Count} calls makes a program of {program.Count} instructions, more than the kernel's {MaxInstructions}", nameof(allowed));
        return [.. program];
    }
}
