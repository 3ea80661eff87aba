/* Ring 0: everything that runs before the drop to ring 3, and the services it offers after. */
#pragma once

#include "bootinfo.h"
#include "types.h"

/* The frame boot/traps.S builds; field order mirrors its pushes. */
struct trap_frame {
    u64 rax, rbx, rcx, rdx, rsi, rdi, rbp;
    u64 r8, r9, r10, r11, r12, r13, r14, r15;
    u64 vector, error;
    u64 rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

extern struct bootinfo boot_info;

/* serial.c */
void serial_init(void);
void serial_write(const char *buf, size_t len);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* boot_protocol.c: fills boot_info from hvm_start_info or boot_params */
void boot_protocol_read(u32 kind, u64 info_paddr);

/* paging.c */
void paging_init(void);
bool paging_map(u64 start, u64 end, bool uncached);
void paging_flush(void);

/* cpu_tables.c */
void cpu_tables_init(void);
void pic_disable(void);

/* tsc.c */
void tsc_init(void);

/* services.c */
void trap_dispatch(struct trap_frame *f);
NORETURN void halt_forever(void);

/* boot/traps.S */
NORETURN void enter_user(void (*rip)(struct bootinfo *), u64 rsp, struct bootinfo *arg);
extern const u64 trap_stubs[32];
void irq_ignore(void);

/* linker script */
extern char __image_start[], __image_end[];
