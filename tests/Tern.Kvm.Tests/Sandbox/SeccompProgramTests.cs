using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Tern.Kvm.Sandbox;
using Tern.TestSupport.Sandbox;

namespace Tern.Kvm.Tests.Sandbox;

public sealed class SeccompProgramTests
{
    private static readonly Syscall[] Few = [Syscall.ioctl, Syscall.futex, Syscall.read, Syscall.write];

    [Fact]
    public void An_instruction_has_the_kernel_s_sock_filter_layout_of_8_bytes()
    {
        Assert.Equal(8, Unsafe.SizeOf<BpfInstruction>());
        Assert.Equal(8, Marshal.SizeOf<BpfInstruction>());
        Assert.Equal(0x0102_0304u, MemoryMarshal.Read<uint>(MemoryMarshal.AsBytes(new[] { new BpfInstruction(0x15, 7, 9, 0x0102_0304) }.AsSpan())[4..]));
    }

    [Fact]
    public void Exactly_the_listed_calls_are_allowed_and_every_other_kills_the_process()
    {
        var program = SeccompProgram.Allowing(Few, SeccompViolation.KillProcess);
        foreach (var call in Enum.GetValues<Syscall>())
            Assert.Equal(Few.Contains(call) ? SeccompProgram.RetAllow : SeccompProgram.RetKillProcess, SeccompInterpreter.Run(program, (uint)call));
        Assert.Equal(SeccompProgram.RetKillProcess, SeccompInterpreter.Run(program, 1000)); // beyond every known number
    }

    [Fact]
    public void A_forbidden_call_can_fail_with_eperm_instead()
    {
        var program = SeccompProgram.Allowing(Few, SeccompViolation.FailWithEperm);
        Assert.Equal(SeccompProgram.RetErrno | 1, SeccompInterpreter.Run(program, (uint)Syscall.execve));
        Assert.Equal(SeccompProgram.RetAllow, SeccompInterpreter.Run(program, (uint)Syscall.read));
    }

    [Theory]
    [InlineData(0x40000003u)] // AUDIT_ARCH_I386: its 3 is read, not x86_64's close
    [InlineData(0xC00000B7u)] // AUDIT_ARCH_AARCH64
    public void A_call_of_another_architecture_is_refused_whatever_its_number(uint arch)
    {
        var program = SeccompProgram.Allowing(Few, SeccompViolation.KillProcess);
        Assert.Equal(SeccompProgram.RetKillProcess, SeccompInterpreter.Run(program, (uint)Syscall.read, arch));
    }

    [Fact]
    public void An_x32_call_is_refused_though_it_comes_with_the_x86_64_architecture()
    {
        var program = SeccompProgram.Allowing(Few, SeccompViolation.KillProcess);
        Assert.Equal(SeccompProgram.RetKillProcess, SeccompInterpreter.Run(program, SeccompProgram.X32SyscallBit | (uint)Syscall.read));
    }

    [Fact]
    public void The_calls_are_compared_in_the_order_given_once_each()
    {
        var program = SeccompProgram.Allowing([Syscall.ioctl, Syscall.futex, Syscall.ioctl], SeccompViolation.KillProcess);
        Assert.Equal((uint)Syscall.ioctl, program[6].K); // after the architecture and x32 checks
        Assert.Equal((uint)Syscall.futex, program[8].K);
        Assert.Equal(6 + 2 * 2 + 1, program.Length);
    }

    [Fact]
    public void Every_known_call_fits_in_one_program_and_a_longer_list_is_refused()
    {
        var all = Enum.GetValues<Syscall>();
        var program = SeccompProgram.Allowing(all, SeccompViolation.KillProcess);
        SeccompInterpreter.Check(program);
        Assert.All(all, call => Assert.Equal(SeccompProgram.RetAllow, SeccompInterpreter.Run(program, (uint)call)));
        var tooMany = Enumerable.Range(0, 2100).Select(n => (Syscall)n);
        Assert.Throws<ArgumentException>(() => SeccompProgram.Allowing(tooMany, SeccompViolation.KillProcess));
    }
}
