/*
 * The identity map ring 3 runs on: every memory range of the memory map plus all of 0..4 GiB (ECAM,
 * BARs, IOAPIC, LAPIC), user-accessible, from 1 GiB pages when the CPU has them, else 2 MiB
 * pages. Tables come from a static pool and are zeroed as they are taken (ring 0 is slow on
 * kvm_pvm, so nothing is touched that is not needed).
 */
#include "kernel.h"
#include "x86.h"

#define PTE_P 0x001ull
#define PTE_W 0x002ull
#define PTE_U 0x004ull
#define PTE_PWT 0x008ull
#define PTE_PCD 0x010ull
#define PTE_PS 0x080ull
#define PTE_ADDR 0x000ffffffffff000ull
#define TABLE_FLAGS (PTE_P | PTE_W | PTE_U)

#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_PAE_BIT (1u << 5)

#define POOL_PAGES 96                     /* with 2 MiB pages: one table per GiB mapped */
#define LOWER_HALF_END (1ull << 47)       /* identity mapping stops at the canonical hole */
#define FOUR_GIB (4 * GIB)

static u64 pool[POOL_PAGES][512] __attribute__((aligned(4096))) NOINIT("page_tables");
static u32 pool_used;
static u64 *pml4;

static u64 *table_alloc(void)
{
    if (pool_used == POOL_PAGES) {
        boot_info.warnings |= WARN_PAGE_POOL_EXHAUSTED;
        return NULL;
    }
    u64 *t = pool[pool_used++];
    for (int i = 0; i < 512; i++)
        t[i] = 0;
    return t;
}

/* The table an entry points to, created if absent; NULL if the entry is a large page or the pool is empty. */
static u64 *descend(u64 *entry)
{
    if (*entry & PTE_P)
        return (*entry & PTE_PS) ? NULL : (u64 *)(uintptr_t)(*entry & PTE_ADDR);
    u64 *t = table_alloc();
    if (t)
        *entry = (u64)(uintptr_t)t | TABLE_FLAGS;
    return t;
}

/* Identity-maps [start, end) rounded out to whole pages; pages already present are left alone. */
bool paging_map(u64 start, u64 end, bool uncached)
{
    bool gib = boot_info.gib_pages;
    u64 unit = gib ? GIB : 2 * MIB;
    u64 leaf = PTE_P | PTE_W | PTE_U | PTE_PS | (uncached ? PTE_PCD | PTE_PWT : 0);
    if (end <= start)
        return true;
    if (end > LOWER_HALF_END)
        return false;
    start = ALIGN_DOWN(start, unit);
    end = ALIGN_UP(end, unit);
    for (u64 a = start; a < end;) {
        u64 *pdpt = descend(&pml4[(a >> 39) & 511]);
        if (!pdpt)
            return false;
        u64 *pdpte = &pdpt[(a >> 30) & 511];
        u64 gib_end = ALIGN_DOWN(a, GIB) + GIB;
        if (gib) {
            if (!(*pdpte & PTE_P))
                *pdpte = a | leaf;
            a = gib_end;
            continue;
        }
        if ((*pdpte & PTE_P) && (*pdpte & PTE_PS)) {
            a = gib_end;
            continue;
        }
        u64 *pd = descend(pdpte);
        if (!pd)
            return false;
        for (; a < end && a < gib_end; a += 2 * MIB) {
            u64 *pde = &pd[(a >> 21) & 511];
            if (!(*pde & PTE_P))
                *pde = a | leaf;
        }
    }
    return true;
}

void paging_flush(void) { write_cr3(read_cr3()); }

/* RAM, ACPI reclaimable, ACPI NVS, persistent memory. Reserved ranges below 4 GiB are covered
   by the low-4-GiB mapping; those above (e.g. QEMU's AMD HyperTransport hole) nobody reads. */
static bool is_memory(u32 type) { return type == 1 || type == 3 || type == 4 || type == 7; }

void paging_init(void)
{
    boot_info.gib_pages = cpuid(0x80000000, 0).eax >= 0x80000001 && (cpuid(0x80000001, 0).edx & (1u << 26));
    pml4 = table_alloc();

    /* Memory first (write-back), so a large page that spans RAM and MMIO stays cacheable. */
    paging_map(0, boot_info.image_end, false);
    for (u32 i = 0; i < boot_info.nranges; i++) {
        const struct mem_range *r = &boot_info.ranges[i];
        if (is_memory(r->type))
            paging_map(r->addr, r->addr + r->size, false);
    }
    /* The rest of the low 4 GiB: the PCI hole (ECAM, 32-bit BARs, IOAPIC, LAPIC) and gaps. */
    paging_map(0, FOUR_GIB, true);

    /* CR4 first: no SMEP/SMAP, since ring 0 runs from and reads user pages once CR3 switches. */
    write_cr4(CR4_PAE_BIT | CR4_OSFXSR | CR4_OSXMMEXCPT);
    write_cr3((u64)(uintptr_t)pml4);
}
