/*
 * mode=dirty: keep mib MiB of RAM changing and prove that none of it was lost.
 * Pass 0 writes value(0, a) to every 8-byte word a; pass p (1, 2, ...) checks that each word
 * still holds value(p-1, a) and writes value(p, a). value(p, a) = mix64(a) + p * K with K odd,
 * so consecutive passes never agree on any word: a page that a live migration failed to
 * resend shows up as BAD. After the last of a finite number of passes one more read-only
 * sweep checks the final values.
 * With rate=R the rewrite is paced to R MiB/s, a 64 KiB chunk at a time, and the time left over
 * goes to work units (a fixed integer loop each): every 200 ms `DIRTY work=W ms=T` gives the units
 * done and the guest's milliseconds since the first pass began, so a host can tell how much work
 * the guest still gets done while its memory keeps changing at that rate.
 */
#include "lib.h"
#include "user.h"
#include "x86.h"

#define K 0x9e3779b97f4a7c15ull
#define PRINT_INTERVAL_MS 200

static bool report_bad(u64 pass, u64 addr, u64 expect, u64 got)
{
    print("DIRTY pass=%lu BAD addr=0x%lx expect=0x%lx got=0x%lx\n", pass, addr, expect, got);
    return false;
}

/* Checks value(pass - 1) everywhere and, when write is set, leaves value(pass). */
static bool sweep(volatile u64 *p, u64 base, u64 words, u64 pass, bool write)
{
    u64 old_offset = (pass - 1) * K, new_offset = pass * K;
    for (u64 i = 0; i < words; i++) {
        u64 addr = base + i * 8;
        u64 m = mix64(addr);
        u64 got = p[i];
        if (got != m + old_offset)
            return report_bad(pass, addr, m + old_offset, got);
        if (write)
            p[i] = m + new_offset;
    }
    return true;
}

static u64 work_units;

/* A fixed amount of CPU work that touches no memory. */
static void work_unit(void)
{
    u64 x = work_units;
    for (int i = 0; i < 256; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    __asm__ volatile("" : : "r"(x));
    work_units++;
}

#define CHUNK_WORDS (64 * 1024 / 8)

/* One paced pass: each chunk is due at start + bytes/rate; until then the guest works. */
static bool paced_sweep(volatile u64 *p, u64 base, u64 words, u64 pass, u64 tsc_per_mib, u64 start, u64 *done_bytes,
                        u64 *last_print, u64 interval)
{
    for (u64 i = 0; i < words; i += CHUNK_WORDS) {
        u64 n = words - i < CHUNK_WORDS ? words - i : CHUNK_WORDS;
        if (!sweep(p + i, base + i * 8, n, pass, true))
            return false;
        *done_bytes += n * 8;
        u64 due = start + *done_bytes / 1024 * tsc_per_mib / 1024;
        u64 now;
        while ((now = rdtsc()) < due)
            work_unit();
        if (now - *last_print >= interval) {
            print("DIRTY work=%lu ms=%lu\n", work_units, clock_tsc_to_ms(now - start));
            *last_print = now;
        }
    }
    return true;
}

void run_dirty(u64 mib, u64 passes, u64 rate)
{
    u64 bytes = mib * MIB, base;
    if (!physmem_pick_region(bytes, &base)) {
        print("DIRTY mib=%lu error=no-free-ram\n", mib);
        return;
    }
    volatile u64 *p = (volatile u64 *)(uintptr_t)base;
    u64 words = bytes / 8;
    for (u64 i = 0; i < words; i++)
        p[i] = mix64(base + i * 8);

    u64 interval = clock_ms_to_tsc(PRINT_INTERVAL_MS);
    u64 last_print = rdtsc() - interval;
    u64 tsc_per_mib = rate ? clock_ms_to_tsc(1000) / rate : 0, start = rdtsc(), paced_bytes = 0, last_work = start;
    for (u64 pass = 1; passes == 0 || pass <= passes; pass++) {
        if (rate ? !paced_sweep(p, base, words, pass, tsc_per_mib, start, &paced_bytes, &last_work, interval)
                 : !sweep(p, base, words, pass, true))
            return;
        u64 now = rdtsc();
        if (now - last_print >= interval || pass == passes) {
            print("DIRTY pass=%lu ok\n", pass);
            last_print = now;
        }
    }
    if (sweep(p, base, words, passes + 1, false))
        print("DIRTY done passes=%lu\n", passes);
}
