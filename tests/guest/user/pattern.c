/*
 * mode=soak's memory pattern. Word i of the region is output i of splitmix64 seeded with
 * PATTERN_SEED, so it depends on neither the VMM nor where the region lies. The checksum runs
 * four FNV-1a-64 lanes over the words (word i feeds lane i % 4, so the lanes' multiplies overlap
 * and the sweep runs at memory speed), then folds lane 0..3 into one more FNV-1a-64. Moving,
 * swapping or changing a word changes it.
 */
#include "lib.h"
#include "user.h"

#define PATTERN_SEED 0x5445524e534f414bull /* "TERNSOAK" */
#define SPLITMIX_STEP 0x9e3779b97f4a7c15ull
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull
#define LANES 4
#define REWRITE_STEP 0x9e3779b97f4a7c15ull /* odd: consecutive passes never agree on any word */

/* splitmix64 adds its step, then finalises: mix64 does both, so output i is mix64(seed + i * step). */
static inline u64 pattern_word(u64 i) { return mix64(PATTERN_SEED + i * SPLITMIX_STEP); }

static inline u64 fnv_step(u64 h, u64 word) { return (h ^ word) * FNV_PRIME; }

struct lanes {
    u64 h[LANES];
};

static struct lanes lanes_start(void) { return (struct lanes){ { FNV_OFFSET, FNV_OFFSET, FNV_OFFSET, FNV_OFFSET } }; }

static u64 lanes_fold(const struct lanes *l)
{
    u64 sum = FNV_OFFSET;
    for (int k = 0; k < LANES; k++)
        sum = fnv_step(sum, l->h[k]);
    return sum;
}

u64 pattern_fill(volatile u64 *p, u64 words)
{
    struct lanes l = lanes_start();
    for (u64 i = 0; i < words; i++) {
        u64 w = pattern_word(i);
        p[i] = w;
        l.h[i % LANES] = fnv_step(l.h[i % LANES], w);
    }
    return lanes_fold(&l);
}

u64 pattern_checksum(const volatile u64 *p, u64 words)
{
    u64 a = FNV_OFFSET, b = FNV_OFFSET, c = FNV_OFFSET, d = FNV_OFFSET;
    u64 i = 0;
    for (; i + LANES <= words; i += LANES) { /* unrolled by hand so the lanes stay in registers */
        a = fnv_step(a, p[i]);
        b = fnv_step(b, p[i + 1]);
        c = fnv_step(c, p[i + 2]);
        d = fnv_step(d, p[i + 3]);
    }
    struct lanes l = { { a, b, c, d } };
    for (; i < words; i++)
        l.h[i % LANES] = fnv_step(l.h[i % LANES], p[i]);
    return lanes_fold(&l);
}

bool pattern_find_mismatch(const volatile u64 *p, u64 words, u64 *index, u64 *expect, u64 *got)
{
    for (u64 i = 0; i < words; i++) {
        u64 want = pattern_word(i), have = p[i];
        if (have != want) {
            *index = i;
            *expect = want;
            *got = have;
            return true;
        }
    }
    return false;
}

/* Pass `pass` (1, 2, ...) of soak's rewrite=1 over words [from, to): word i must still hold what
   pass - 1 left (pass 0 is pattern_fill), and then holds pattern_word(i) + pass * REWRITE_STEP.
   Returns how many words did not; the first of them goes to *first when *first is still empty. */
u64 pattern_rewrite(volatile u64 *p, u64 from, u64 to, u64 pass, struct pattern_mismatch *first)
{
    u64 old_offset = (pass - 1) * REWRITE_STEP, new_offset = pass * REWRITE_STEP, bad = 0;
    for (u64 i = from; i < to; i++) {
        u64 w = pattern_word(i), have = p[i];
        if (have != w + old_offset) {
            if (bad++ == 0 && !first->found)
                *first = (struct pattern_mismatch){ .found = true, .index = i, .expect = w + old_offset, .got = have };
        }
        p[i] = w + new_offset;
    }
    return bad;
}
