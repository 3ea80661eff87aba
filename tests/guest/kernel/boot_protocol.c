/* Reads the memory map, command line and RSDP from whichever boot protocol started us. */
#include "kernel.h"
#include "lib.h"
#include "x86.h"

#define PVH_MAGIC 0x336ec578u

/* struct hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h) */
struct hvm_start_info {
    u32 magic;
    u32 version;
    u32 flags;
    u32 nr_modules;
    u64 modlist_paddr;
    u64 cmdline_paddr;
    u64 rsdp_paddr;
    u64 memmap_paddr; /* version >= 1 */
    u32 memmap_entries;
    u32 reserved;
};

struct hvm_memmap_entry {
    u64 addr;
    u64 size;
    u32 type;
    u32 reserved;
};

/* Offsets into the Linux zero page (struct boot_params). */
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_CMD_LINE_PTR 0x228
#define BP_E820_TABLE 0x2d0
#define BP_E820_ENTRY_SIZE 20
#define BP_E820_MAX 128

static void add_range(u64 addr, u64 size, u32 type)
{
    if (boot_info.nranges >= MAX_MEM_RANGES)
        return;
    struct mem_range *r = &boot_info.ranges[boot_info.nranges++];
    r->addr = addr;
    r->size = size;
    r->type = type;
}

static void read_pvh(const struct hvm_start_info *si)
{
    if (si->magic != PVH_MAGIC)
        boot_info.warnings |= WARN_BAD_PVH_MAGIC;
    boot_info.cmdline_paddr = si->cmdline_paddr;
    boot_info.rsdp_paddr = si->rsdp_paddr;
    if (si->version < 1 || !si->memmap_paddr)
        return;
    const struct hvm_memmap_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
    for (u32 i = 0; i < si->memmap_entries && i < MAX_MEM_RANGES; i++)
        add_range(e[i].addr, e[i].size, e[i].type);
}

static void read_boot_params(const u8 *bp)
{
    boot_info.cmdline_paddr = load32(bp + BP_CMD_LINE_PTR) | ((u64)load32(bp + BP_EXT_CMD_LINE_PTR) << 32);
    boot_info.rsdp_paddr = load64(bp + BP_ACPI_RSDP_ADDR);
    u32 n = MIN(bp[BP_E820_ENTRIES], BP_E820_MAX);
    for (u32 i = 0; i < n; i++) {
        const u8 *e = bp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;
        add_range(load64(e), load64(e + 8), load32(e + 16));
    }
}

void boot_protocol_read(u32 kind, u64 info_paddr)
{
    boot_info.kind = kind;
    boot_info.info_paddr = info_paddr;
    boot_info.image_start = (u64)(uintptr_t)__image_start;
    boot_info.image_end = (u64)(uintptr_t)__image_end;
    if (!info_paddr)
        return;
    if (kind == BOOT_PVH)
        read_pvh((const void *)(uintptr_t)info_paddr);
    else
        read_boot_params((const u8 *)(uintptr_t)info_paddr);
}
