/* The virtio 1.x PCI transport of include/virtio_pci.h. */
#include "virtio_pci.h"
#include "lib.h"
#include "svc.h"
#include "x86.h"

#define VIRTIO_VENDOR 0x1af4
#define PCI_CAP_VENDOR 0x09

enum { CFG_COMMON = 1, CFG_NOTIFY = 2, CFG_ISR = 3, CFG_DEVICE = 4 };

/* struct virtio_pci_common_cfg offsets */
#define COMMON_DFSELECT 0x00
#define COMMON_DF 0x04
#define COMMON_GFSELECT 0x08
#define COMMON_GF 0x0c
#define COMMON_MSIX 0x10
#define COMMON_STATUS 0x14
#define COMMON_CFG_GENERATION 0x15
#define COMMON_Q_SELECT 0x16
#define COMMON_Q_SIZE 0x18
#define COMMON_Q_MSIX 0x1a
#define COMMON_Q_ENABLE 0x1c
#define COMMON_Q_NOFF 0x1e
#define COMMON_Q_DESCLO 0x20
#define COMMON_Q_AVAILLO 0x28
#define COMMON_Q_USEDLO 0x30

#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_FAILED 128

#define NO_VECTOR 0xffff
#define ECAM_BUS_BYTES (32u << 15)

const char VPCI_TIMED_OUT[] = "timeout";

static u8 rd8(volatile u8 *base, u32 off) { return *(volatile u8 *)(base + off); }
static u16 rd16(volatile u8 *base, u32 off) { return *(volatile u16 *)(base + off); }
static u32 rd32(volatile u8 *base, u32 off) { return *(volatile u32 *)(base + off); }
static void wr8(volatile u8 *base, u32 off, u8 v) { *(volatile u8 *)(base + off) = v; }
static void wr16(volatile u8 *base, u32 off, u16 v) { *(volatile u16 *)(base + off) = v; }
static void wr32(volatile u8 *base, u32 off, u32 v) { *(volatile u32 *)(base + off) = v; }

static void wr64(volatile u8 *base, u32 lo_off, u64 v)
{
    wr32(base, lo_off, (u32)v);
    wr32(base, lo_off + 4, (u32)(v >> 32));
}

bool vpci_map_ecam(const struct acpi_info *acpi)
{
    return acpi->have_ecam && svc_call(SVC_MAP_MMIO, acpi->ecam_base, ECAM_BUS_BYTES) == 0;
}

bool vpci_find(const struct acpi_info *acpi, int from, u16 device_id, struct vpci_dev *d, u64 timeout_ms)
{
    for (int slot = MAX(from, 0); slot < 32; slot++) {
        struct pci_function fn = { (volatile u8 *)(uintptr_t)(acpi->ecam_base + ((u64)slot << 15)) };
        u32 id = pci_read32(&fn, 0);
        if ((id & 0xffff) != VIRTIO_VENDOR || (id >> 16) != device_id)
            continue;
        *d = (struct vpci_dev){ .slot = slot, .fn = fn, .timeout_ms = timeout_ms };
        return true;
    }
    return false;
}

/* Maps a capability's window and returns its address, or NULL. */
static volatile u8 *cap_window(const struct pci_function *f, u32 cap)
{
    u64 bar = pci_bar_address(f, pci_read8(f, cap + 4));
    u64 offset = pci_read32(f, cap + 8), length = pci_read32(f, cap + 12);
    if (!bar || !length)
        return NULL;
    if (svc_call(SVC_MAP_MMIO, bar + offset, length) != 0)
        return NULL;
    return (volatile u8 *)(uintptr_t)(bar + offset);
}

/* Maps the common and device windows and finds the notify capability; NULL on success, else what is missing. */
static const char *find_windows(struct vpci_dev *d)
{
    const struct pci_function *f = &d->fn;
    if (!(pci_read16(f, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return "no-capabilities";
    d->notify_cap = 0;
    u32 cap = pci_read8(f, PCI_CAP_PTR) & 0xfc;
    for (int guard = 0; cap && guard < 48; guard++) {
        if (pci_read8(f, cap) == PCI_CAP_VENDOR) {
            u8 type = pci_read8(f, cap + 3);
            if (type == CFG_COMMON && !d->common)
                d->common = cap_window(f, cap);
            else if (type == CFG_DEVICE && !d->device)
                d->device = cap_window(f, cap);
            else if (type == CFG_NOTIFY && !d->notify_cap)
                d->notify_cap = cap; /* mapped once a queue's notify offset is known */
        }
        cap = pci_read8(f, cap + 1) & 0xfc;
    }
    if (!d->common)
        return "no-common-cfg";
    if (!d->device)
        return "no-device-cfg";
    if (!d->notify_cap)
        return "no-notify-cfg";
    return NULL;
}

static void set_status(struct vpci_dev *d, u8 bits) { wr8(d->common, COMMON_STATUS, rd8(d->common, COMMON_STATUS) | bits); }

const char *vpci_begin(struct vpci_dev *d, u64 wanted, u64 *negotiated)
{
    u16 cmd = pci_read16(&d->fn, PCI_COMMAND);
    pci_write16(&d->fn, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    const char *err = find_windows(d);
    if (err)
        return err;
    volatile u8 *c = d->common;
    wr8(c, COMMON_STATUS, 0);
    struct poll_timer t;
    for (poll_timer_start(&t, d->timeout_ms); rd8(c, COMMON_STATUS) != 0;)
        if (poll_timer_expired(&t))
            return VPCI_TIMED_OUT;
    set_status(d, STATUS_ACKNOWLEDGE);
    set_status(d, STATUS_DRIVER);

    wr32(c, COMMON_DFSELECT, 0);
    u64 offered = rd32(c, COMMON_DF);
    wr32(c, COMMON_DFSELECT, 1);
    offered |= (u64)rd32(c, COMMON_DF) << 32;
    if (!(offered & VIRTIO_F_VERSION_1))
        return "no-version-1";
    u64 features = offered & (wanted | VIRTIO_F_VERSION_1);
    wr32(c, COMMON_GFSELECT, 0);
    wr32(c, COMMON_GF, (u32)features);
    wr32(c, COMMON_GFSELECT, 1);
    wr32(c, COMMON_GF, (u32)(features >> 32));
    set_status(d, STATUS_FEATURES_OK);
    if (!(rd8(c, COMMON_STATUS) & STATUS_FEATURES_OK))
        return "features-rejected";
    wr16(c, COMMON_MSIX, NO_VECTOR);
    *negotiated = features;
    return NULL;
}

const char *vpci_queue(struct vpci_dev *d, u16 index, u16 max_size, u16 *size, void *desc, void *avail, void *used,
                       volatile u16 **notify)
{
    volatile u8 *c = d->common;
    wr16(c, COMMON_Q_SELECT, index);
    u16 max = rd16(c, COMMON_Q_SIZE);
    if (!max)
        return "no-queue";
    *size = MIN(max, max_size);
    wr16(c, COMMON_Q_SIZE, *size);
    wr16(c, COMMON_Q_MSIX, NO_VECTOR);
    wr64(c, COMMON_Q_DESCLO, (u64)(uintptr_t)desc);
    wr64(c, COMMON_Q_AVAILLO, (u64)(uintptr_t)avail);
    wr64(c, COMMON_Q_USEDLO, (u64)(uintptr_t)used);

    const struct pci_function *f = &d->fn;
    u32 cap = d->notify_cap;
    u64 bar = pci_bar_address(f, pci_read8(f, cap + 4));
    u64 offset = pci_read32(f, cap + 8), multiplier = pci_read32(f, cap + 16);
    u64 addr = bar + offset + (u64)rd16(c, COMMON_Q_NOFF) * multiplier;
    if (!bar || svc_call(SVC_MAP_MMIO, addr, 2) != 0)
        return "notify-unmapped";
    *notify = (volatile u16 *)(uintptr_t)addr;
    wr16(c, COMMON_Q_ENABLE, 1);
    return NULL;
}

void vpci_driver_ok(struct vpci_dev *d) { set_status(d, STATUS_DRIVER_OK); }

void vpci_fail(struct vpci_dev *d)
{
    if (d->common)
        set_status(d, STATUS_FAILED);
}

void vpci_read_config(struct vpci_dev *d, u32 offset, void *buf, u32 len)
{
    u8 *out = buf;
    for (int tries = 0; tries < 10; tries++) {
        u8 gen = rd8(d->common, COMMON_CFG_GENERATION);
        for (u32 i = 0; i < len; i++)
            out[i] = rd8(d->device, offset + i);
        if (rd8(d->common, COMMON_CFG_GENERATION) == gen)
            break;
    }
}
