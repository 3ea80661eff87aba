/* Ring 3 entry: report what the machine looks like, run the workload, do the then= action. */
#include "lib.h"
#include "user.h"

#define CMDLINE_MAX 4096

static void print_memory_map(const struct bootinfo *bi)
{
    u64 total = 0;
    for (u32 i = 0; i < bi->nranges; i++) {
        const struct mem_range *r = &bi->ranges[i];
        print("E820 start=0x%lx size=0x%lx type=%u\n", r->addr, r->size, r->type);
        if (r->type == E820_RAM)
            total += r->size;
    }
    print("RAM total=%lu mib=%lu\n", total, total / MIB);
}

static void print_warnings(u32 w)
{
    if (w & WARN_BAD_PVH_MAGIC)
        print("WARN start_info magic is wrong\n");
    if (w & WARN_PAGE_POOL_EXHAUSTED)
        print("WARN page-table pool exhausted: some memory is not mapped\n");
    if (w & WARN_TSC_CALIBRATION_FAILED)
        print("WARN TSC calibration failed: assuming 2 GHz\n");
}

NORETURN void user_main(struct bootinfo *bi)
{
    clock_init(bi->tsc_khz);
    physmem_init(bi);

    const char *cmdline = bi->cmdline_paddr ? (const char *)(uintptr_t)bi->cmdline_paddr : "";
    size_t cmdlen = strnlen(cmdline, CMDLINE_MAX);
    print("TERN-TEST boot=%s cmdline=\"%.*s\"\n", bi->kind == BOOT_PVH ? "pvh" : "linux64", (int)cmdlen, cmdline);
    print_warnings(bi->warnings);
    print_memory_map(bi);

    struct acpi_info acpi;
    acpi_read(bi->rsdp_paddr, &acpi);
    if (acpi.rsdp)
        print("ACPI rsdp=0x%lx\n", acpi.rsdp);
    else
        print("ACPI none\n");
    print("CPUS madt=%u mptable=%u\n", acpi.madt_cpus, mptable_cpus());
    print("TSC khz=%lu\n", bi->tsc_khz);

    struct options opt;
    options_parse(cmdline, cmdlen, &opt);
    print("READY\n");

    switch (opt.mode) {
    case MODE_TICKS: run_ticks(opt.ticks, opt.tick_ms, opt.busy); break;
    case MODE_FILL: run_fill(opt.mib); break;
    case MODE_DIRTY: run_dirty(opt.mib, opt.passes, opt.rate); break;
    case MODE_BLK: run_blk(&acpi); break;
    case MODE_SOAK: run_soak(&opt, &acpi); break;
    case MODE_NET: run_net(&opt, &acpi); break;
    case MODE_IDLE: break;
    }
    finish(opt.then, &acpi);
}
