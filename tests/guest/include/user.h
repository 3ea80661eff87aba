/* Ring 3: the test program proper. Runs natively on kvm_pvm; privileged work goes through svc.h. */
#pragma once

#include "bootinfo.h"
#include "types.h"

NORETURN void user_main(struct bootinfo *bi);

/* console.c */
void print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* clock.c */
void clock_init(u64 tsc_khz);
u64 clock_ms_to_tsc(u64 ms);
u64 clock_tsc_to_ms(u64 cycles);
void clock_sleep_ms(u64 ms);

/* options.c */
enum mode { MODE_TICKS, MODE_FILL, MODE_DIRTY, MODE_BLK, MODE_IDLE };
enum then_action { THEN_HALT, THEN_POWEROFF, THEN_REBOOT, THEN_TRIPLEFAULT };
struct options {
    enum mode mode;
    u64 ticks;   /* 0 = forever */
    u64 tick_ms;
    u64 mib;
    u64 passes;  /* 0 = forever */
    enum then_action then;
};
void options_parse(const char *cmdline, size_t len, struct options *o);

/* physmem.c: what may be read, and what the workloads must not overwrite */
void physmem_init(const struct bootinfo *bi);
bool physmem_readable(u64 addr, u64 len);
void physmem_reserve(u64 addr, u64 len);
bool physmem_pick_region(u64 bytes, u64 *base);

/* acpi.c */
struct acpi_info {
    u64 rsdp;           /* 0 if none */
    u32 madt_cpus;      /* enabled LAPIC + x2APIC entries */
    bool have_pm1a_cnt;
    u16 pm1a_cnt;
    bool have_s5;
    u8 s5_slp_typ;
    bool have_ecam;
    u64 ecam_base;      /* of bus 0 on segment 0 */
    u8 ecam_end_bus;
};
void acpi_read(u64 given_rsdp, struct acpi_info *out);

/* mptable.c */
u32 mptable_cpus(void);

/* workloads */
void run_ticks(u64 ticks, u64 tick_ms);
void run_fill(u64 mib);
void run_dirty(u64 mib, u64 passes);
void run_blk(const struct acpi_info *acpi);

/* power.c */
NORETURN void finish(enum then_action action, const struct acpi_info *acpi);
