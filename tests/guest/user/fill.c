/*
 * mode=fill: write mib MiB of free RAM with a pattern, read it all back into a checksum.
 * Word i (byte offset 8*i from the region's start) holds mix64(i); the checksum is FNV-1a-64
 * over the words read back, so it depends only on mib, not on where the region lies.
 */
#include "lib.h"
#include "user.h"
#include "x86.h"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

void run_fill(u64 mib)
{
    u64 bytes = mib * MIB, base;
    if (!physmem_pick_region(bytes, &base)) {
        print("FILL mib=%lu error=no-free-ram\n", mib);
        return;
    }
    volatile u64 *p = (volatile u64 *)(uintptr_t)base;
    u64 words = bytes / 8;
    u64 start = rdtsc();
    for (u64 i = 0; i < words; i++)
        p[i] = mix64(i);
    u64 sum = FNV_OFFSET;
    for (u64 i = 0; i < words; i++)
        sum = (sum ^ p[i]) * FNV_PRIME;
    u64 elapsed = rdtsc() - start;
    print("FILL mib=%lu checksum=0x%016lx\n", mib, sum);
    print("FILL ms=%lu\n", clock_tsc_to_ms(elapsed));
}
