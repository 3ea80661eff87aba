/*
 * mode=ticks: "TICK n" every tick_ms, on deadlines from one start so the period does not drift.
 * With busy=P below 100 the guest spins for P% of each period and halts for the rest, so it
 * offers the host a steady, known CPU load (if the CPU has no TSC-deadline timer it spins).
 * mode=soak waits for its ticks the same way.
 */
#include "svc.h"
#include "user.h"
#include "x86.h"

static void spin_until(u64 deadline)
{
    while ((i64)(rdtsc() - deadline) < 0)
        cpu_relax();
}

void wait_for_tick(u64 deadline, u64 period, u64 busy)
{
    if (busy < 100) {
        spin_until(deadline - period + period / 100 * busy);
        svc_call(SVC_SLEEP_UNTIL, deadline, 0);
    }
    spin_until(deadline);
}

void run_ticks(u64 ticks, u64 tick_ms, u64 busy)
{
    u64 period = clock_ms_to_tsc(tick_ms);
    u64 start = rdtsc();
    for (u64 n = 1; ticks == 0 || n <= ticks; n++) {
        wait_for_tick(start + n * period, period, busy);
        print("TICK %lu\n", n);
    }
}
