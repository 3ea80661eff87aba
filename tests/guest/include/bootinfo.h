/*
 * What ring 0 learned at boot, handed to ring 3 (which reads it directly: all memory is
 * user-accessible). Filled once by ring 0 before the drop to ring 3, read-only afterwards.
 */
#pragma once

#include "types.h"

enum boot_kind { BOOT_PVH = 1, BOOT_LINUX64 = 2 };

enum { E820_RAM = 1 };

struct mem_range {
    u64 addr;
    u64 size;
    u32 type;
};

#define MAX_MEM_RANGES 128

enum boot_warning {
    WARN_BAD_PVH_MAGIC = 1 << 0,
    WARN_PAGE_POOL_EXHAUSTED = 1 << 1,
    WARN_TSC_CALIBRATION_FAILED = 1 << 2,
};

struct bootinfo {
    u32 kind;            /* enum boot_kind */
    u32 warnings;        /* enum boot_warning bits */
    u64 info_paddr;      /* hvm_start_info or boot_params */
    u64 cmdline_paddr;   /* 0 if none */
    u64 rsdp_paddr;      /* as given by the boot protocol, 0 if not given */
    u64 image_start;     /* this kernel in memory, bss included */
    u64 image_end;
    u64 tsc_khz;
    bool tsc_from_cpuid; /* CPUID 0x40000010 rather than PIT calibration */
    bool gib_pages;      /* identity map built from 1 GiB pages */
    u32 nranges;
    struct mem_range ranges[MAX_MEM_RANGES];
};
