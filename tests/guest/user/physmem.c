/*
 * Guest-physical memory as ring 3 sees it (identity-mapped): which addresses are safe to
 * read, and a region of free RAM for the fill and dirty workloads that overlaps nothing in
 * use (this kernel, the boot structures, the ACPI tables).
 */
#include "lib.h"
#include "user.h"

#define FOUR_GIB (4 * GIB)
#define MAX_RESERVED 64
#define REGION_ALIGN (2 * MIB)

struct span {
    u64 start, end;
};

static const struct bootinfo *boot;
static struct span reserved[MAX_RESERVED];
static u32 nreserved;

void physmem_reserve(u64 addr, u64 len)
{
    if (nreserved < MAX_RESERVED && len)
        reserved[nreserved++] = (struct span){ addr, addr + len };
}

void physmem_init(const struct bootinfo *bi)
{
    boot = bi;
    physmem_reserve(0, 1 * MIB); /* real-mode area, BIOS, boot structures of both protocols */
    physmem_reserve(bi->image_start, bi->image_end - bi->image_start);
    physmem_reserve(bi->info_paddr, 4096);
    if (bi->cmdline_paddr)
        physmem_reserve(bi->cmdline_paddr, 4096);
}

bool physmem_readable(u64 addr, u64 len)
{
    u64 end = addr + len;
    if (end < addr)
        return false;
    if (end <= FOUR_GIB) /* ring 0 maps all of the low 4 GiB */
        return true;
    for (u32 i = 0; i < boot->nranges; i++) {
        const struct mem_range *r = &boot->ranges[i];
        if (addr >= r->addr && end <= r->addr + r->size)
            return true;
    }
    return false;
}

static bool fits(u64 base, u64 bytes)
{
    u64 end = base + bytes;
    if (end < base || base < boot->image_end)
        return false;
    bool in_ram = false;
    for (u32 i = 0; i < boot->nranges && !in_ram; i++) {
        const struct mem_range *r = &boot->ranges[i];
        in_ram = r->type == E820_RAM && base >= r->addr && end <= r->addr + r->size;
    }
    if (!in_ram)
        return false;
    for (u32 i = 0; i < nreserved; i++)
        if (base < reserved[i].end && reserved[i].start < end)
            return false;
    return true;
}

/* The lowest 2 MiB-aligned free RAM region of the given size above the kernel. */
bool physmem_pick_region(u64 bytes, u64 *base)
{
    bool found = false;
    u64 best = 0;
    for (u32 i = 0; i < boot->nranges + nreserved; i++) {
        u64 from = i < boot->nranges ? boot->ranges[i].addr : reserved[i - boot->nranges].end;
        u64 c = ALIGN_UP(MAX(from, boot->image_end), REGION_ALIGN);
        if ((!found || c < best) && fits(c, bytes)) {
            best = c;
            found = true;
        }
    }
    *base = best;
    return found;
}
