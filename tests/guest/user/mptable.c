/* Intel MultiProcessor table: count the enabled processor entries. */
#include "lib.h"
#include "user.h"
#include "x86.h"

static const u8 *phys(u64 addr) { return (const u8 *)(uintptr_t)addr; }

static bool sum_is_zero(const u8 *p, size_t n)
{
    u8 sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += p[i];
    return sum == 0;
}

/* The MP floating pointer structure ("_MP_", 16 bytes, on a 16-byte boundary). */
static const u8 *find_floating_pointer(u64 from, u64 to)
{
    for (u64 a = from; a + 16 <= to; a += 16)
        if (memcmp(phys(a), "_MP_", 4) == 0 && phys(a)[8] == 1 && sum_is_zero(phys(a), 16))
            return phys(a);
    return NULL;
}

u32 mptable_cpus(void)
{
    const u8 *fp = find_floating_pointer(0x9fc00, 0xa0000);
    if (!fp)
        fp = find_floating_pointer(0xf0000, 0x100000);
    if (!fp)
        return 0;
    u64 table = load32(fp + 4);
    if (!table || !physmem_readable(table, 44) || memcmp(phys(table), "PCMP", 4) != 0)
        return 0;
    const u8 *t = phys(table);
    u16 len = load16(t + 4), entries = load16(t + 34);
    if (len < 44 || !physmem_readable(table, len))
        return 0;
    u32 cpus = 0;
    u32 off = 44;
    for (u16 i = 0; i < entries && off < len; i++) {
        u8 type = t[off];
        if (type == 0) { /* processor: 20 bytes, flags bit 0 = enabled */
            if (off + 20 > len)
                break;
            if (t[off + 3] & 1)
                cpus++;
            off += 20;
        } else if (type <= 4) {
            off += 8;
        } else {
            break;
        }
    }
    return cpus;
}
