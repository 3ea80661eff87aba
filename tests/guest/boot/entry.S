/*
 * The two ways in, both ending in kmain(kind, info) on our own stack and GDT:
 *  - pvh_entry32: PVH (x86/HVM direct boot ABI). 32-bit protected mode, paging off,
 *    ebx = struct hvm_start_info. We enable PAE + long mode with a static identity map of
 *    the low 4 GiB, then jump to 64-bit code.
 *  - entry64_linux: the 64-bit Linux boot protocol. Already in long mode with the VMM's
 *    identity map of the low 4 GiB, rsi = boot_params, interrupts off.
 * kmain then builds the real page tables, so the early ones only need to cover the kernel,
 * its stack and the boot structures.
 */
#include "segments.h"

    .section .text.entry, "ax"

    .code32
    .globl pvh_entry32
pvh_entry32:
    cli
    cld
    lgdt    gdt_pointer
    movl    $KERNEL_DS, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %ss
    movl    %eax, %fs
    movl    %eax, %gs
    movl    $boot_stack_top, %esp
    movl    %ebx, %esi

    movl    %cr4, %eax
    orl     $CR4_PAE, %eax
    movl    %eax, %cr4
    movl    $early_pml4, %eax
    movl    %eax, %cr3
    movl    $MSR_EFER, %ecx
    rdmsr
    orl     $EFER_LME, %eax
    wrmsr
    movl    %cr0, %eax
    orl     $(CR0_PG | CR0_PE), %eax
    movl    %eax, %cr0
    ljmp    $KERNEL_CS, $pvh_entry64

    .code64
pvh_entry64:
    movl    %esi, %esi              /* zero-extend the start_info address */
    movl    $BOOT_KIND_PVH, %edi
    jmp     common64

    .globl entry64_linux
entry64_linux:
    cli
    cld
    movq    $boot_stack_top, %rsp
    lgdt    gdt_pointer
    pushq   $KERNEL_CS
    pushq   $1f
    lretq
1:  movl    $KERNEL_DS, %eax
    movl    %eax, %ds
    movl    %eax, %es
    movl    %eax, %ss
    movl    %eax, %fs
    movl    %eax, %gs
    movl    $BOOT_KIND_LINUX64, %edi
    /* rsi = boot_params, as the VMM left it */

common64:
    movq    $boot_stack_top, %rsp
    movq    %rdi, %r12
    movq    %rsi, %r13
    movq    $__bss_start, %rdi      /* only the small .bss: big buffers live in .noinit */
    movq    $__bss_end, %rcx
    subq    %rdi, %rcx
    shrq    $3, %rcx
    xorl    %eax, %eax
    rep stosq
    movq    %r12, %rdi
    movq    %r13, %rsi
    call    kmain
2:  cli
    hlt
    jmp     2b

    .section .data.boot, "aw"
    .balign 16
    .globl gdt
gdt:
    .quad 0                         /* null */
    .quad 0x00af9a000000ffff        /* 0x08 kernel code, 64-bit */
    .quad 0x00cf92000000ffff        /* 0x10 kernel data (also flat 32-bit data for the PVH path) */
    .quad 0x00cff2000000ffff        /* 0x18 user data, DPL 3 */
    .quad 0x00affa000000ffff        /* 0x20 user code, 64-bit, DPL 3 */
    .quad 0, 0                      /* 0x28 TSS, filled in by gdt_install_tss() */
gdt_end:
    .balign 8
    .globl gdt_pointer
gdt_pointer:
    .word   gdt_end - gdt - 1
    .quad   gdt                     /* lgdt in 32-bit mode reads the low 4 bytes: fine below 4 GiB */

    /* Static identity map of 0..4 GiB with 2 MiB pages for the PVH path (no runtime cost). */
    .balign 4096
early_pml4:
    .quad   early_pdpt + 0x3
    .fill   511, 8, 0
early_pdpt:
    .quad   early_pd + 0x0000 + 0x3
    .quad   early_pd + 0x1000 + 0x3
    .quad   early_pd + 0x2000 + 0x3
    .quad   early_pd + 0x3000 + 0x3
    .fill   508, 8, 0
early_pd:
    .set    page, 0
    .rept   2048
    .quad   page + 0x83             /* present, writable, 2 MiB */
    .set    page, page + 0x200000
    .endr

    .section .bss.noinit.boot_stack, "aw", @nobits
    .balign 16
boot_stack:
    .skip   16384
    .globl boot_stack_top
boot_stack_top:
