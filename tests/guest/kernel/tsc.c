/* TSC frequency: the hypervisor's CPUID leaf 0x40000010 if offered, else timed against PIT channel 2. */
#include "kernel.h"
#include "x86.h"

#define PIT_HZ 1193182ull
#define PIT_TICKS 11932ull                  /* ~10 ms */
#define CALIBRATION_GIVE_UP (20ull << 30)   /* TSC cycles: seconds at any plausible frequency */
#define FALLBACK_KHZ 2000000ull
#define CALIBRATION_ROUNDS 5

static u64 khz_from_hypervisor_leaf(void)
{
    if (!(cpuid(1, 0).ecx & (1u << 31))) /* no hypervisor: 0x40000000 would alias a basic leaf */
        return 0;
    u32 max = cpuid(0x40000000, 0).eax;
    if (max < 0x40000010 || max > 0x400000ff)
        return 0;
    return cpuid(0x40000010, 0).eax;
}

/*
 * One ~10 ms PIT channel 2 countdown timed with the TSC. The start is read before the count
 * is written, so every disturbance (an exit, the vCPU being descheduled) only lengthens the
 * result; 0 if OUT2 never rises. Under kvm_pvm each poll is an emulated exit of ~14 us.
 */
static u64 pit_window_cycles(void)
{
    u8 port61 = inb(0x61);
    outb(0x61, (port61 & ~0x02) | 0x01); /* gate channel 2 on, speaker off */
    outb(0x43, 0xb0);                     /* channel 2, lobyte/hibyte, mode 0, binary */
    outb(0x42, PIT_TICKS & 0xff);
    u64 start = rdtsc();
    outb(0x42, PIT_TICKS >> 8);           /* counting starts with the high byte */
    u64 now = start, polls = 1;
    while (!(inb(0x61) & 0x20)) {         /* OUT2 goes high at terminal count */
        polls++;
        now = rdtsc();
        if (now - start > CALIBRATION_GIVE_UP)
            break;
    }
    bool done = inb(0x61) & 0x20;
    now = rdtsc();
    outb(0x61, port61);
    if (!done)
        return 0;
    /* The edge is seen half a poll late on average, and the count started partway through
       the final outb (an exit of about half a poll): take one average poll off. */
    return (now - start) - (now - start) / polls;
}

/* The shortest of a few windows: on kvm_pvm a window now and then runs long by milliseconds. */
static u64 khz_from_pit(void)
{
    u64 best = 0;
    for (int i = 0; i < CALIBRATION_ROUNDS; i++) {
        u64 cycles = pit_window_cycles();
        if (!cycles)
            return 0;
        if (!best || cycles < best)
            best = cycles;
    }
    return best * PIT_HZ / (PIT_TICKS * 1000);
}

void tsc_init(void)
{
    u64 khz = khz_from_hypervisor_leaf();
    if (khz) {
        boot_info.tsc_khz = khz;
        boot_info.tsc_from_cpuid = true;
        return;
    }
    khz = khz_from_pit();
    if (!khz) {
        boot_info.warnings |= WARN_TSC_CALIBRATION_FAILED;
        khz = FALLBACK_KHZ;
    }
    boot_info.tsc_khz = khz;
}
