/*
 * Exceptions. A `ud2` executed in ring 3 is a service call (see svc.h); any other exception
 * is reported on COM1 and the CPU halts.
 */
#include "kernel.h"
#include "segments.h"
#include "svc.h"
#include "x86.h"

#define VEC_UD 6
#define MAX_WRITE (64 * KIB)

NORETURN void halt_forever(void)
{
    for (;;)
        __asm__ volatile("sti; hlt" ::: "memory");
}

static NORETURN void triple_fault(void)
{
    struct __attribute__((packed)) { u16 limit; u64 base; } empty = { 0, 0 };
    __asm__ volatile("lidt %0; ud2" : : "m"(empty));
    for (;;)
        __asm__ volatile("cli; hlt");
}

#define LAPIC_BASE 0xfee00000UL
#define LAPIC_SVR 0xf0
#define LAPIC_LVT_TIMER 0x320
#define LVT_TSC_DEADLINE (2u << 17)
#define TIMER_VECTOR 0x40 /* irq_ignore acknowledges it */
#define MSR_TSC_DEADLINE 0x6e0

static void lapic_write(u32 reg, u32 value) { *(volatile u32 *)(uintptr_t)(LAPIC_BASE + reg) = value; }

/*
 * Halts until the TSC passes the deadline, woken by the LAPIC timer in TSC-deadline mode, so a
 * guest can leave its vCPU idle (the host sees no CPU time) between bursts of work. The loop
 * re-arms after any other wake-up, and after a live migration that lost nothing it simply ends.
 */
static bool sleep_until(u64 deadline)
{
    if (!(cpuid(1, 0).ecx & (1u << 24)))
        return false;
    lapic_write(LAPIC_SVR, 0x100 | 0xff); /* software-enable, spurious vector 0xff */
    lapic_write(LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | TIMER_VECTOR);
    while ((i64)(rdtsc() - deadline) < 0) {
        wrmsr(MSR_TSC_DEADLINE, deadline);
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    }
    return true;
}

static bool is_service_call(const struct trap_frame *f)
{
    if (f->vector != VEC_UD || (f->cs & 3) != 3)
        return false;
    const u8 *ip = (const u8 *)(uintptr_t)f->rip;
    return ip[0] == 0x0f && ip[1] == 0x0b;
}

static u64 service(u64 n, u64 a, u64 b)
{
    switch (n) {
    case SVC_WRITE:
        serial_write((const char *)(uintptr_t)a, MIN(b, MAX_WRITE));
        return b;
    case SVC_HALT:
        halt_forever();
    case SVC_POWEROFF:
        outw((u16)a, (u16)b);
        return 0;
    case SVC_RESET_KBC:
        outb(0x64, 0xfe);
        return 0;
    case SVC_TRIPLE_FAULT:
        triple_fault();
    case SVC_MAP_MMIO: {
        bool ok = b && a + b > a && paging_map(a, a + b, true);
        paging_flush();
        return ok ? 0 : (u64)-1;
    }
    case SVC_TSC_KHZ:
        return boot_info.tsc_khz;
    case SVC_SLEEP_UNTIL:
        return sleep_until(a) ? 0 : (u64)-1;
    default:
        return (u64)-1;
    }
}

void trap_dispatch(struct trap_frame *f)
{
    if (is_service_call(f)) {
        f->rax = service(f->rax, f->rdi, f->rsi);
        f->rip += 2;
        return;
    }
    kprintf("EXC vec=%lu err=0x%lx rip=0x%lx cr2=0x%lx\n", f->vector, f->error, f->rip, read_cr2());
    for (;;)
        __asm__ volatile("cli; hlt");
}
