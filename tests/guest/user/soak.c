/*
 * mode=soak: the guest side of live-migration tests. Fill mib MiB with a fixed pseudo-random
 * pattern (pattern.c), then tick forever (or ticks=N) on TSC deadlines, and every check_every
 * ticks checksum the region again and compare; with blk=1 also keep a log on disk (soak_disk.c).
 * The wait for each tick spins, or with busy=P below 100 spins P% of the period and halts the rest
 * (an idle VM, as most are). With rewrite=1 it rewrites the region instead: every pass checks
 * the previous pass's words as it replaces them (pattern_rewrite), and a check reports what the
 * passes since the last check found, since a checksum of changing memory proves nothing.
 * Ticks that fall due while a check runs or while the VM is paused are printed late, in a row,
 * never skipped, so the host can measure pauses from the TICK lines' arrival times.
 */
#include "lib.h"
#include "user.h"
#include "x86.h"

#define SOAK_MAX_MIB (1ull << 20) /* keeps mib * MIB from overflowing */
#define REWRITE_CHUNK_WORDS 8192  /* 64 KiB, tens of microseconds: ticks stay on time */

struct soak {
    volatile u64 *region;
    u64 words;
    u64 expected;      /* the checksum of what was written */
    u64 checks, bad;   /* bad: BAD lines printed */
    u64 check_us_max;
    /* rewrite=1: where the current pass is, and what the passes found since the last check */
    u64 pass, cursor, wrong_words;
    struct pattern_mismatch first_wrong;
};

/* Rewrites the next chunk of the region; a pass that reaches the end starts the next one. */
static void rewrite_chunk(struct soak *s)
{
    u64 to = MIN(s->cursor + REWRITE_CHUNK_WORDS, s->words);
    s->wrong_words += pattern_rewrite(s->region, s->cursor, to, s->pass, &s->first_wrong);
    s->cursor = to;
    if (s->cursor == s->words) {
        s->cursor = 0;
        s->pass++;
    }
}

/* rewrite=1's check: the passes since the last check found every word as the pass before left it. */
static void check_rewrites(struct soak *s, u64 tick)
{
    if (s->wrong_words == 0) {
        print("SOAK check tick=%lu ok\n", tick);
    } else {
        s->bad++;
        print("SOAK check tick=%lu BAD words=%lu\n", tick, s->wrong_words);
        print("SOAK bad word=%lu addr=0x%lx expect=0x%016lx got=0x%016lx\n", s->first_wrong.index,
              (u64)(uintptr_t)&s->region[s->first_wrong.index], s->first_wrong.expect, s->first_wrong.got);
    }
    print("SOAK rewrite tick=%lu passes=%lu\n", tick, s->pass - 1);
    s->wrong_words = 0;
    s->first_wrong = (struct pattern_mismatch){ 0 };
}

/* Checksums the region; on a mismatch prints BAD and where the first wrong word is. */
static void check_memory(struct soak *s, u64 tick)
{
    u64 t0 = rdtsc();
    u64 sum = pattern_checksum(s->region, s->words);
    s->check_us_max = MAX(s->check_us_max, clock_tsc_to_us(rdtsc() - t0));
    if (sum == s->expected) {
        print("SOAK check tick=%lu ok\n", tick);
        return;
    }
    s->bad++;
    print("SOAK check tick=%lu BAD checksum=0x%016lx\n", tick, sum);
    u64 index, expect, got;
    if (pattern_find_mismatch(s->region, s->words, &index, &expect, &got))
        print("SOAK bad word=%lu addr=0x%lx expect=0x%016lx got=0x%016lx\n", index,
              (u64)(uintptr_t)&s->region[index], expect, got);
}

void run_soak(const struct options *o, const struct acpi_info *acpi)
{
    u64 bytes = o->mib * MIB, base;
    if (o->mib > SOAK_MAX_MIB || !physmem_pick_region(bytes, &base)) {
        print("SOAK mib=%lu error=no-free-ram\n", o->mib);
        return;
    }
    struct soak s = { .region = (volatile u64 *)(uintptr_t)base, .words = bytes / 8, .pass = 1 };

    u64 t0 = rdtsc();
    s.expected = pattern_fill(s.region, s.words);
    u64 t1 = rdtsc();
    u64 readback = pattern_checksum(s.region, s.words);
    u64 t2 = rdtsc();
    print("SOAK filled mib=%lu checksum=0x%016lx at=0x%lx bytes=%lu\n", o->mib, s.expected, base, bytes);
    print("SOAK timing fill_ms=%lu check_us=%lu\n", clock_tsc_to_ms(t1 - t0), clock_tsc_to_us(t2 - t1));
    s.check_us_max = clock_tsc_to_us(t2 - t1);
    if (readback != s.expected) {
        s.bad++;
        print("SOAK check tick=0 BAD checksum=0x%016lx\n", readback);
    }
    if (o->blk)
        soak_disk_open(acpi, s.expected);

    u64 period = clock_ms_to_tsc(o->tick_ms);
    u64 start = rdtsc();
    u64 n = 1;
    for (; o->ticks == 0 || n <= o->ticks; n++) {
        u64 deadline = start + n * period;
        if (o->rewrite) {
            while ((i64)(rdtsc() - deadline) < 0)
                rewrite_chunk(&s);
        } else {
            wait_for_tick(deadline, period, o->busy);
        }
        u64 now = rdtsc();
        print("TICK %lu\n", n);
        /* A tick more than half a period late means the guest was stopped (a pause, a migration's
           switch-over): the pause lasted between `ms` and `ms` + one period. */
        if (now - deadline > period / 2)
            print("SOAK late tick=%lu ms=%lu\n", n, clock_tsc_to_ms(now - deadline));
        if (n % o->check_every == 0) {
            s.checks++;
            if (o->rewrite)
                check_rewrites(&s, n);
            else
                check_memory(&s, n);
            if (o->blk)
                s.bad += soak_disk_check(n);
        }
    }
    print("SOAK done ticks=%lu checks=%lu bad=%lu check_us_max=%lu\n", n - 1, s.checks, s.bad, s.check_us_max);
}
