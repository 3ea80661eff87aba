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
u64 clock_tsc_to_us(u64 cycles);
void clock_sleep_ms(u64 ms);
/* A timeout in time spent polling: each poll adds the time since the previous one, but at most
   POLL_GAP_MAX_MS, so a pause of the VM (stop/cont, a live migration, a descheduled vCPU) counts
   as a moment and never makes a wait time out, while a device that never answers still does. */
#define POLL_GAP_MAX_MS 10
struct poll_timer {
    u64 last, spent, limit; /* TSC cycles */
};
void poll_timer_start(struct poll_timer *t, u64 ms);
bool poll_timer_expired(struct poll_timer *t);

/* options.c */
enum mode { MODE_TICKS, MODE_FILL, MODE_DIRTY, MODE_BLK, MODE_IDLE, MODE_SOAK, MODE_NET };
enum net_role { NET_ECHO, NET_TX, NET_RX, NET_STALL, NET_COUNTER };
enum then_action { THEN_HALT, THEN_POWEROFF, THEN_REBOOT, THEN_TRIPLEFAULT };
struct options {
    enum mode mode;
    u64 ticks;   /* 0 = forever */
    u64 tick_ms;
    u64 busy;          /* ticks, soak: percent of each tick period spent spinning; the rest halts */
    u64 mib;           /* default 16; soak: 256 */
    u64 passes;        /* 0 = forever */
    u64 rate;          /* dirty: MiB/s to rewrite, working between pages; 0 = as fast as it can */
    u64 check_every;   /* soak: ticks between memory checks */
    bool blk;          /* soak: also log to the first virtio-blk disk */
    bool rewrite;      /* soak: keep rewriting the region between ticks */
    enum net_role net; /* net: what to do with the first virtio-net device */
    u64 frames;        /* net: frames to send (tx), receive (rx) or echo (echo; 0 = forever) */
    u64 size;          /* net: frame length in bytes for tx */
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
void run_ticks(u64 ticks, u64 tick_ms, u64 busy);
/* Returns once the TSC passes deadline, having spun busy% of the period before it and halted the rest. */
void wait_for_tick(u64 deadline, u64 period, u64 busy);
void run_fill(u64 mib);
void run_dirty(u64 mib, u64 passes, u64 rate);
void run_blk(const struct acpi_info *acpi);
void run_soak(const struct options *o, const struct acpi_info *acpi);
void run_net(const struct options *o, const struct acpi_info *acpi);

/* soak_disk.c: soak's log on the first virtio-blk disk */
bool soak_disk_open(const struct acpi_info *acpi, u64 checksum);
u64 soak_disk_check(u64 tick);

/* pattern.c: soak's memory pattern and checksum */
u64 pattern_fill(volatile u64 *p, u64 words);
u64 pattern_checksum(const volatile u64 *p, u64 words);
bool pattern_find_mismatch(const volatile u64 *p, u64 words, u64 *index, u64 *expect, u64 *got);
struct pattern_mismatch {
    bool found;
    u64 index, expect, got;
};
u64 pattern_rewrite(volatile u64 *p, u64 from, u64 to, u64 pass, struct pattern_mismatch *first);

/* power.c */
NORETURN void finish(enum then_action action, const struct acpi_info *acpi);
