/*
 * Ring-0 services for ring 3. This host's KVM (kvm_pvm) does not let ring 3 use in/out,
 * `int n` or `syscall`, but a #UD does reach ring 0, so a service call is `ud2` with
 * rax = service number, rdi/rsi = arguments; the result comes back in rax.
 */
#pragma once

#include "types.h"

enum svc {
    SVC_WRITE = 1,        /* (buf, len): bytes to COM1 */
    SVC_HALT = 2,         /* (): sti; hlt forever */
    SVC_POWEROFF = 3,     /* (port, value): 16-bit write of value to the PM1a control port */
    SVC_RESET_KBC = 4,    /* (): write 0xFE to port 0x64 (returns if nothing happened) */
    SVC_TRIPLE_FAULT = 5, /* (): zero-limit IDT, then an exception in ring 0 */
    SVC_MAP_MMIO = 6,     /* (addr, len): identity-map, user, uncached; 0 on success */
    SVC_TSC_KHZ = 7,      /* (): TSC frequency in kHz */
    SVC_SLEEP_UNTIL = 8,  /* (tsc): halt until the TSC reaches tsc; -1 without a TSC-deadline timer */
};

static inline u64 svc_call(u64 n, u64 a, u64 b)
{
    u64 ret;
    __asm__ volatile("ud2" : "=a"(ret) : "a"(n), "D"(a), "S"(b) : "memory");
    return ret;
}
