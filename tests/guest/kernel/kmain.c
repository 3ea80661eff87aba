/* Ring 0's whole job: tables, timer calibration, then drop to ring 3 where the tests run. */
#include "kernel.h"
#include "user.h"

struct bootinfo boot_info;

static u8 user_stack[64 * 1024] __attribute__((aligned(16))) NOINIT("user_stack");

NORETURN void kmain(u32 kind, u64 info_paddr)
{
    serial_init();
    pic_disable();
    boot_protocol_read(kind, info_paddr);
    paging_init();
    cpu_tables_init();
    tsc_init();
    /* As if called: rsp + 8 is 16-byte aligned at function entry. */
    enter_user(user_main, (u64)(uintptr_t)(user_stack + sizeof user_stack - 8), &boot_info);
}
