/*
 * The PVH ELF note (only linked into testkernel.elf): name "Xen", type 18
 * (XEN_ELFNOTE_PHYS32_ENTRY), 4-byte value = physical address of the 32-bit entry.
 * QEMU 7.2 reads the value of a 64-bit ELF's note as 8 bytes, so the word after it must
 * be zero: an empty note (namesz = descsz = type = 0) follows. Section alignment 4 keeps
 * the PT_NOTE p_align at 4, which QEMU's padding arithmetic also assumes.
 */
    .section .note.pvh, "a", @note
    .balign 4
    .long   4                       /* namesz */
    .long   4                       /* descsz */
    .long   18                      /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz  "Xen"
    .long   pvh_entry32
    .long   0, 0, 0                 /* empty terminating note */
