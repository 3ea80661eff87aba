/* TSS, IDT, and the legacy PIC (remapped past the exception vectors and masked). */
#include "kernel.h"
#include "segments.h"
#include "x86.h"

struct PACKED tss64 {
    u32 reserved0;
    u64 rsp0, rsp1, rsp2;
    u64 reserved1;
    u64 ist[7];
    u64 reserved2;
    u16 reserved3;
    u16 iomap_base;
};

struct PACKED idt_gate {
    u16 offset_low;
    u16 selector;
    u8 ist;
    u8 type_attr;
    u16 offset_mid;
    u32 offset_high;
    u32 reserved;
};

struct PACKED table_pointer {
    u16 limit;
    u64 base;
};

#define INTERRUPT_GATE 0x8e /* present, DPL 0, 64-bit interrupt gate: IF cleared on entry */

extern u64 gdt[];
static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
static u8 trap_stack[16384] __attribute__((aligned(16))) NOINIT("trap_stack");

static void gdt_install_tss(void)
{
    u64 base = (u64)(uintptr_t)&tss;
    u64 limit = sizeof tss - 1;
    gdt[GDT_TSS_INDEX] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) /* present, 64-bit TSS */
                         | (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[GDT_TSS_INDEX + 1] = base >> 32;
    __asm__ volatile("ltr %w0" : : "r"(TSS_SEL));
}

static void idt_set(int vector, u64 handler)
{
    struct idt_gate *g = &idt[vector];
    g->offset_low = handler & 0xffff;
    g->selector = KERNEL_CS;
    g->ist = 0;
    g->type_attr = INTERRUPT_GATE;
    g->offset_mid = (handler >> 16) & 0xffff;
    g->offset_high = handler >> 32;
    g->reserved = 0;
}

void cpu_tables_init(void)
{
    tss.rsp0 = (u64)(uintptr_t)(trap_stack + sizeof trap_stack);
    tss.iomap_base = sizeof tss; /* no I/O bitmap */
    gdt_install_tss();

    for (int v = 0; v < 32; v++)
        idt_set(v, trap_stubs[v]);
    for (int v = 32; v < 256; v++)
        idt_set(v, (u64)(uintptr_t)irq_ignore);
    struct table_pointer p = { sizeof idt - 1, (u64)(uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(p));
}

void pic_disable(void)
{
    outb(0x20, 0x11); /* ICW1: init, ICW4 follows */
    outb(0xa0, 0x11);
    outb(0x21, 0x20); /* ICW2: vectors 0x20.. and 0x28.. */
    outb(0xa1, 0x28);
    outb(0x21, 0x04); /* ICW3: slave on IRQ2 */
    outb(0xa1, 0x02);
    outb(0x21, 0x01); /* ICW4: 8086 mode */
    outb(0xa1, 0x01);
    outb(0x21, 0xff); /* mask everything */
    outb(0xa1, 0xff);
}
