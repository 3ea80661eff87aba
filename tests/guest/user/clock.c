/* Time from rdtsc, which ring 3 may use (CR4.TSD is clear). */
#include "user.h"
#include "x86.h"

static u64 khz = 1;

void clock_init(u64 tsc_khz) { khz = tsc_khz ? tsc_khz : 1; }

u64 clock_ms_to_tsc(u64 ms) { return ms * khz; }

u64 clock_tsc_to_ms(u64 cycles) { return cycles / khz; }

void clock_sleep_ms(u64 ms)
{
    u64 end = rdtsc() + clock_ms_to_tsc(ms);
    while ((i64)(rdtsc() - end) < 0)
        cpu_relax();
}
