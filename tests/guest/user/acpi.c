/*
 * Just enough ACPI: RSDP (given or found in 0xE0000..0xFFFFF), RSDT/XSDT, MADT (CPU count),
 * FADT (PM1a control port, DSDT), DSDT (\_S5_ sleep type), MCFG (ECAM base).
 */
#include "lib.h"
#include "user.h"
#include "x86.h"

#define SDT_HEADER_LEN 36
#define MAX_TABLE_LEN (16 * MIB)

static const u8 *phys(u64 addr) { return (const u8 *)(uintptr_t)addr; }

static bool sum_is_zero(const u8 *p, size_t n)
{
    u8 sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += p[i];
    return sum == 0;
}

static u64 rsdp_scan(void)
{
    for (u64 a = 0xe0000; a < 0x100000; a += 16)
        if (memcmp(phys(a), "RSD PTR ", 8) == 0 && sum_is_zero(phys(a), 20))
            return a;
    return 0;
}

/* The table at addr if it is readable and has a sane length; its length in *len. */
static const u8 *table_at(u64 addr, u32 *len)
{
    if (!addr || !physmem_readable(addr, SDT_HEADER_LEN))
        return NULL;
    u32 n = load32(phys(addr) + 4);
    if (n < SDT_HEADER_LEN || n > MAX_TABLE_LEN || !physmem_readable(addr, n))
        return NULL;
    physmem_reserve(addr, n);
    *len = n;
    return phys(addr);
}

static u32 madt_count_cpus(const u8 *t, u32 len)
{
    u32 cpus = 0;
    for (u32 off = 44; off + 2 <= len;) {
        u8 type = t[off], elen = t[off + 1];
        if (elen < 2 || off + elen > len)
            break;
        if (type == 0 && elen >= 8 && (load32(t + off + 4) & 1))        /* Processor Local APIC */
            cpus++;
        else if (type == 9 && elen >= 16 && (load32(t + off + 8) & 1)) /* Processor Local x2APIC */
            cpus++;
        off += elen;
    }
    return cpus;
}

/* The value of an AML integer data object at p (ZeroOp, OneOp, OnesOp, Byte/Word/DWordPrefix). */
static bool aml_integer(const u8 *p, const u8 *end, u64 *v)
{
    if (p >= end)
        return false;
    switch (p[0]) {
    case 0x00: *v = 0; return true;
    case 0x01: *v = 1; return true;
    case 0xff: *v = ~0ull; return true;
    case 0x0a: if (p + 2 > end) return false; *v = p[1]; return true;
    case 0x0b: if (p + 3 > end) return false; *v = load16(p + 1); return true;
    case 0x0c: if (p + 5 > end) return false; *v = load32(p + 1); return true;
    default: *v = p[0]; return true; /* some tables store a bare byte */
    }
}

/* Name(_S5_, Package(){ SLP_TYPa, ... }): 08 [5C] '_S5_' 12 PkgLength NumElements elements... */
static bool dsdt_s5(const u8 *t, u32 len, u8 *slp_typ)
{
    const u8 *end = t + len;
    for (u32 i = SDT_HEADER_LEN + 1; i + 4 <= len; i++) {
        if (memcmp(t + i, "_S5_", 4) != 0)
            continue;
        bool named = t[i - 1] == 0x08 || (t[i - 1] == '\\' && t[i - 2] == 0x08);
        const u8 *p = t + i + 4;
        if (!named || p >= end || *p != 0x12)
            continue;
        p++;
        if (p >= end)
            return false;
        p += 1 + (*p >> 6); /* PkgLength: lead byte's top two bits count the bytes that follow */
        p++;                /* NumElements */
        u64 v;
        if (!aml_integer(p, end, &v))
            return false;
        *slp_typ = (u8)v;
        return true;
    }
    return false;
}

static void read_fadt(const u8 *t, u32 len, struct acpi_info *out)
{
    u32 pm1a = len >= 68 ? load32(t + 64) : 0;
    if (!pm1a && len >= 184 && t[172] == 1 /* SystemIO */)
        pm1a = (u32)load64(t + 176);
    if (pm1a && pm1a <= 0xffff) {
        out->have_pm1a_cnt = true;
        out->pm1a_cnt = (u16)pm1a;
    }
    u64 dsdt = len >= 148 ? load64(t + 140) : 0;
    if (!dsdt && len >= 44)
        dsdt = load32(t + 40);
    u32 dlen;
    const u8 *d = table_at(dsdt, &dlen);
    if (d && memcmp(d, "DSDT", 4) == 0)
        out->have_s5 = dsdt_s5(d, dlen, &out->s5_slp_typ);
}

static void read_mcfg(const u8 *t, u32 len, struct acpi_info *out)
{
    for (u32 off = 44; off + 16 <= len; off += 16) {
        u16 segment = load16(t + off + 8);
        u8 start_bus = t[off + 10];
        if (segment == 0 && start_bus == 0) {
            out->have_ecam = true;
            out->ecam_base = load64(t + off);
            out->ecam_end_bus = t[off + 11];
            return;
        }
    }
}

static void read_table(u64 addr, struct acpi_info *out)
{
    u32 len;
    const u8 *t = table_at(addr, &len);
    if (!t)
        return;
    if (memcmp(t, "APIC", 4) == 0)
        out->madt_cpus = madt_count_cpus(t, len);
    else if (memcmp(t, "FACP", 4) == 0)
        read_fadt(t, len, out);
    else if (memcmp(t, "MCFG", 4) == 0)
        read_mcfg(t, len, out);
}

void acpi_read(u64 given_rsdp, struct acpi_info *out)
{
    *out = (struct acpi_info){ 0 };
    u64 rsdp = given_rsdp ? given_rsdp : rsdp_scan();
    if (!rsdp || !physmem_readable(rsdp, 36))
        return;
    out->rsdp = rsdp;
    const u8 *r = phys(rsdp);
    physmem_reserve(rsdp, r[15] >= 2 ? 36 : 20);
    u64 xsdt = r[15] >= 2 ? load64(r + 24) : 0;
    u64 root = xsdt ? xsdt : load32(r + 16);
    u32 entry_size = xsdt ? 8 : 4;
    u32 len;
    const u8 *t = table_at(root, &len);
    if (!t)
        return;
    for (u32 off = SDT_HEADER_LEN; off + entry_size <= len; off += entry_size)
        read_table(entry_size == 8 ? load64(t + off) : load32(t + off), out);
}
