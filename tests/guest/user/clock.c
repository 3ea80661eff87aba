/* Time from rdtsc, which ring 3 may use (CR4.TSD is clear). */
#include "user.h"
#include "x86.h"

static u64 khz = 1;

void clock_init(u64 tsc_khz) { khz = tsc_khz ? tsc_khz : 1; }

u64 clock_ms_to_tsc(u64 ms) { return ms * khz; }

u64 clock_tsc_to_ms(u64 cycles) { return cycles / khz; }

u64 clock_tsc_to_us(u64 cycles) { return cycles / khz * 1000 + cycles % khz * 1000 / khz; }

void clock_sleep_ms(u64 ms)
{
    u64 end = rdtsc() + clock_ms_to_tsc(ms);
    while ((i64)(rdtsc() - end) < 0)
        cpu_relax();
}

void poll_timer_start(struct poll_timer *t, u64 ms)
{
    *t = (struct poll_timer){ .last = rdtsc(), .spent = 0, .limit = clock_ms_to_tsc(ms) };
}

bool poll_timer_expired(struct poll_timer *t)
{
    u64 now = rdtsc();
    t->spent += MIN(now - t->last, clock_ms_to_tsc(POLL_GAP_MAX_MS));
    t->last = now;
    return t->spent >= t->limit;
}
