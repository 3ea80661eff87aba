/*
 * Exception entry stubs and the drop to ring 3.
 * Every stub leaves the same frame (struct trap_frame in kernel.h): 15 saved registers,
 * vector, error code (0 when the CPU pushes none), then the CPU's iretq frame.
 */
#include "segments.h"

    .section .text

.macro TRAP_NOERR vec
    .balign 16
trap_\vec:
    pushq   $0
    pushq   $\vec
    jmp     trap_common
.endm

.macro TRAP_ERR vec
    .balign 16
trap_\vec:
    pushq   $\vec
    jmp     trap_common
.endm

TRAP_NOERR 0
TRAP_NOERR 1
TRAP_NOERR 2
TRAP_NOERR 3
TRAP_NOERR 4
TRAP_NOERR 5
TRAP_NOERR 6
TRAP_NOERR 7
TRAP_ERR   8
TRAP_NOERR 9
TRAP_ERR   10
TRAP_ERR   11
TRAP_ERR   12
TRAP_ERR   13
TRAP_ERR   14
TRAP_NOERR 15
TRAP_NOERR 16
TRAP_ERR   17
TRAP_NOERR 18
TRAP_NOERR 19
TRAP_NOERR 20
TRAP_ERR   21
TRAP_NOERR 22
TRAP_NOERR 23
TRAP_NOERR 24
TRAP_NOERR 25
TRAP_NOERR 26
TRAP_NOERR 27
TRAP_NOERR 28
TRAP_ERR   29
TRAP_ERR   30
TRAP_NOERR 31

trap_common:
    pushq   %r15
    pushq   %r14
    pushq   %r13
    pushq   %r12
    pushq   %r11
    pushq   %r10
    pushq   %r9
    pushq   %r8
    pushq   %rbp
    pushq   %rdi
    pushq   %rsi
    pushq   %rdx
    pushq   %rcx
    pushq   %rbx
    pushq   %rax
    movq    %rsp, %rdi
    cld
    call    trap_dispatch
    popq    %rax
    popq    %rbx
    popq    %rcx
    popq    %rdx
    popq    %rsi
    popq    %rdi
    popq    %rbp
    popq    %r8
    popq    %r9
    popq    %r10
    popq    %r11
    popq    %r12
    popq    %r13
    popq    %r14
    popq    %r15
    addq    $16, %rsp
    iretq

/* Vectors 32..255: nothing is unmasked, so anything here is stray. Acknowledge and go on. */
    .balign 16
    .globl irq_ignore
irq_ignore:
    pushq   %rax
    movb    $0x20, %al
    outb    %al, $0xa0
    outb    %al, $0x20
    movl    $0xfee000b0, %eax       /* local APIC EOI (xAPIC mode) */
    movl    $0, (%rax)
    popq    %rax
    iretq

    .section .rodata
    .balign 8
    .globl trap_stubs
trap_stubs:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad   trap_\v
    .endr

    .section .text
/* enter_user(rip, rsp, arg): iretq to ring 3 with interrupts enabled, rdi = arg. */
    .globl enter_user
enter_user:
    movq    %rdx, %rax
    pushq   $USER_DS
    pushq   %rsi
    pushq   $0x202
    pushq   $USER_CS
    pushq   %rdi
    movq    %rax, %rdi
    xorl    %esi, %esi
    xorl    %edx, %edx
    xorl    %ebp, %ebp
    iretq
