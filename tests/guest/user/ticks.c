/* mode=ticks: "TICK n" every tick_ms, on deadlines from one start so the period does not drift. */
#include "user.h"
#include "x86.h"

void run_ticks(u64 ticks, u64 tick_ms)
{
    u64 period = clock_ms_to_tsc(tick_ms);
    u64 start = rdtsc();
    for (u64 n = 1; ticks == 0 || n <= ticks; n++) {
        u64 deadline = start + n * period;
        while ((i64)(rdtsc() - deadline) < 0)
            cpu_relax();
        print("TICK %lu\n", n);
    }
}
