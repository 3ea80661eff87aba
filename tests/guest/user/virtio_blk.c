/* The polled virtio-blk driver of include/virtio_blk.h. */
#include "virtio_blk.h"
#include "lib.h"
#include "svc.h"
#include "x86.h"

#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_BLK_MODERN 0x1042
#define PCI_CAP_VENDOR 0x09

enum { CFG_COMMON = 1, CFG_NOTIFY = 2, CFG_ISR = 3, CFG_DEVICE = 4 };

/* struct virtio_pci_common_cfg offsets */
#define COMMON_DFSELECT 0x00
#define COMMON_DF 0x04
#define COMMON_GFSELECT 0x08
#define COMMON_GF 0x0c
#define COMMON_MSIX 0x10
#define COMMON_STATUS 0x14
#define COMMON_Q_SELECT 0x16
#define COMMON_Q_SIZE 0x18
#define COMMON_Q_MSIX 0x1a
#define COMMON_Q_ENABLE 0x1c
#define COMMON_Q_NOFF 0x1e
#define COMMON_Q_DESCLO 0x20
#define COMMON_Q_DESCHI 0x24
#define COMMON_Q_AVAILLO 0x28
#define COMMON_Q_AVAILHI 0x2c
#define COMMON_Q_USEDLO 0x30
#define COMMON_Q_USEDHI 0x34
#define COMMON_CFG_GENERATION 0x15

#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_FAILED 128

#define F_VERSION_1 (1ull << 32)

#define DESC_F_NEXT 1
#define DESC_F_WRITE 2

#define QUEUE_MAX 16
#define NO_VECTOR 0xffff
#define ECAM_BUS_BYTES (32u << 15)

struct vq_desc {
    u64 addr;
    u32 len;
    u16 flags;
    u16 next;
};

struct vq_avail {
    u16 flags;
    u16 idx;
    u16 ring[QUEUE_MAX];
    u16 used_event;
};

struct vq_used {
    u16 flags;
    u16 idx;
    struct { u32 id; u32 len; } ring[QUEUE_MAX];
    u16 avail_event;
};

struct blk_req_header {
    u32 type;
    u32 reserved;
    u64 sector;
};

/* One page per device: its queue and request buffers (DMA addresses = identity-mapped addresses). */
struct blk_queue_page {
    struct vq_desc desc[QUEUE_MAX];                            /* 0x000 */
    u8 pad0[0x100 - sizeof(struct vq_desc) * QUEUE_MAX];
    struct vq_avail avail;                                     /* 0x100 */
    u8 pad1[0x100 - sizeof(struct vq_avail)];
    struct vq_used used;                                       /* 0x200 */
    u8 pad2[0x200 - sizeof(struct vq_used)];
    struct blk_req_header header;                              /* 0x400 */
    u8 status;
    u8 pad3[0x400 - sizeof(struct blk_req_header) - 1];
    u8 data[BLK_SECTOR];                                       /* 0x800 */
    u8 pad4[0x800 - BLK_SECTOR];
};
_Static_assert(sizeof(struct blk_queue_page) == 4096, "queue page layout");

static struct blk_queue_page queue_pages[32] __attribute__((aligned(4096))) NOINIT("virtio_queues");

static u8 rd8(volatile u8 *base, u32 off) { return *(volatile u8 *)(base + off); }
static u16 rd16(volatile u8 *base, u32 off) { return *(volatile u16 *)(base + off); }
static u32 rd32(volatile u8 *base, u32 off) { return *(volatile u32 *)(base + off); }
static void wr8(volatile u8 *base, u32 off, u8 v) { *(volatile u8 *)(base + off) = v; }
static void wr16(volatile u8 *base, u32 off, u16 v) { *(volatile u16 *)(base + off) = v; }
static void wr32(volatile u8 *base, u32 off, u32 v) { *(volatile u32 *)(base + off) = v; }

const char BLK_TIMED_OUT[] = "timeout";

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
static const char *find_windows(struct blk_dev *d, u32 *notify_cap)
{
    const struct pci_function *f = &d->fn;
    if (!(pci_read16(f, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return "no-capabilities";
    *notify_cap = 0;
    u32 cap = pci_read8(f, PCI_CAP_PTR) & 0xfc;
    for (int guard = 0; cap && guard < 48; guard++) {
        if (pci_read8(f, cap) == PCI_CAP_VENDOR) {
            u8 type = pci_read8(f, cap + 3);
            if (type == CFG_COMMON && !d->common)
                d->common = cap_window(f, cap);
            else if (type == CFG_DEVICE && !d->device)
                d->device = cap_window(f, cap);
            else if (type == CFG_NOTIFY && !*notify_cap)
                *notify_cap = cap; /* mapped once the queue's notify offset is known */
        }
        cap = pci_read8(f, cap + 1) & 0xfc;
    }
    if (!d->common)
        return "no-common-cfg";
    if (!d->device)
        return "no-device-cfg";
    if (!*notify_cap)
        return "no-notify-cfg";
    return NULL;
}

static bool set_queue_notify(struct blk_dev *d, u32 cap)
{
    const struct pci_function *f = &d->fn;
    u64 bar = pci_bar_address(f, pci_read8(f, cap + 4));
    u64 offset = pci_read32(f, cap + 8), multiplier = pci_read32(f, cap + 16);
    u64 addr = bar + offset + (u64)rd16(d->common, COMMON_Q_NOFF) * multiplier;
    if (!bar || svc_call(SVC_MAP_MMIO, addr, 2) != 0)
        return false;
    d->notify = (volatile u16 *)(uintptr_t)addr;
    return true;
}

static void set_status(struct blk_dev *d, u8 bits) { wr8(d->common, COMMON_STATUS, rd8(d->common, COMMON_STATUS) | bits); }

static void wr64(volatile u8 *base, u32 lo_off, u64 v)
{
    wr32(base, lo_off, (u32)v);
    wr32(base, lo_off + 4, (u32)(v >> 32));
}

const char *blk_init(struct blk_dev *d)
{
    u16 cmd = pci_read16(&d->fn, PCI_COMMAND);
    pci_write16(&d->fn, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    u32 notify_cap;
    const char *err = find_windows(d, &notify_cap);
    if (err)
        return err;
    volatile u8 *c = d->common;
    wr8(c, COMMON_STATUS, 0);
    struct poll_timer t;
    for (poll_timer_start(&t, d->timeout_ms); rd8(c, COMMON_STATUS) != 0;)
        if (poll_timer_expired(&t))
            return BLK_TIMED_OUT;
    set_status(d, STATUS_ACKNOWLEDGE);
    set_status(d, STATUS_DRIVER);

    wr32(c, COMMON_DFSELECT, 0);
    u64 offered = rd32(c, COMMON_DF);
    wr32(c, COMMON_DFSELECT, 1);
    offered |= (u64)rd32(c, COMMON_DF) << 32;
    if (!(offered & F_VERSION_1))
        return "no-version-1";
    d->features = offered & (F_VERSION_1 | BLK_F_RO | BLK_F_FLUSH);
    wr32(c, COMMON_GFSELECT, 0);
    wr32(c, COMMON_GF, (u32)d->features);
    wr32(c, COMMON_GFSELECT, 1);
    wr32(c, COMMON_GF, (u32)(d->features >> 32));
    set_status(d, STATUS_FEATURES_OK);
    if (!(rd8(c, COMMON_STATUS) & STATUS_FEATURES_OK))
        return "features-rejected";

    wr16(c, COMMON_MSIX, NO_VECTOR);
    wr16(c, COMMON_Q_SELECT, 0);
    u16 max = rd16(c, COMMON_Q_SIZE);
    if (!max)
        return "no-queue";
    d->qsize = MIN(max, QUEUE_MAX);
    struct blk_queue_page *q = d->q;
    memset(q, 0, sizeof *q);
    wr16(c, COMMON_Q_SIZE, d->qsize);
    wr16(c, COMMON_Q_MSIX, NO_VECTOR);
    wr64(c, COMMON_Q_DESCLO, (u64)(uintptr_t)q->desc);
    wr64(c, COMMON_Q_AVAILLO, (u64)(uintptr_t)&q->avail);
    wr64(c, COMMON_Q_USEDLO, (u64)(uintptr_t)&q->used);
    if (!set_queue_notify(d, notify_cap))
        return "notify-unmapped";
    wr16(c, COMMON_Q_ENABLE, 1);
    set_status(d, STATUS_DRIVER_OK);
    return NULL;
}

/* Uses descriptors 0..2: one request at a time. */
bool blk_request(struct blk_dev *d, u32 type, u64 sector, u32 data_len, bool device_writes, u8 *status)
{
    struct blk_queue_page *q = d->q;
    q->header = (struct blk_req_header){ type, 0, sector };
    q->status = 0xff;
    u16 n = 0;
    q->desc[n] = (struct vq_desc){ (u64)(uintptr_t)&q->header, sizeof q->header, DESC_F_NEXT, (u16)(n + 1) };
    n++;
    if (data_len) {
        q->desc[n] = (struct vq_desc){ (u64)(uintptr_t)q->data, data_len,
                                       (u16)(DESC_F_NEXT | (device_writes ? DESC_F_WRITE : 0)), (u16)(n + 1) };
        n++;
    }
    q->desc[n] = (struct vq_desc){ (u64)(uintptr_t)&q->status, 1, DESC_F_WRITE, 0 };

    volatile struct vq_avail *avail = &q->avail;
    volatile struct vq_used *used = &q->used;
    avail->ring[d->avail_idx % d->qsize] = 0;
    mfence();
    avail->idx = ++d->avail_idx;
    mfence();
    *d->notify = 0; /* queue index */
    struct poll_timer t;
    for (poll_timer_start(&t, d->timeout_ms); used->idx == d->used_idx;) {
        if (poll_timer_expired(&t))
            return false;
        cpu_relax();
    }
    d->used_idx++;
    mfence();
    *status = *(volatile u8 *)&q->status;
    return true;
}

u64 blk_capacity(struct blk_dev *d)
{
    u64 v = 0;
    for (int tries = 0; tries < 10; tries++) {
        u8 gen = rd8(d->common, COMMON_CFG_GENERATION);
        v = rd32(d->device, 0) | ((u64)rd32(d->device, 4) << 32);
        if (rd8(d->common, COMMON_CFG_GENERATION) == gen)
            break;
    }
    return v;
}

u8 *blk_data(struct blk_dev *d) { return d->q->data; }

void blk_fail(struct blk_dev *d)
{
    if (d->common)
        set_status(d, STATUS_FAILED);
}

bool blk_map_ecam(const struct acpi_info *acpi)
{
    return acpi->have_ecam && svc_call(SVC_MAP_MMIO, acpi->ecam_base, ECAM_BUS_BYTES) == 0;
}

bool blk_find(const struct acpi_info *acpi, int from, struct blk_dev *d, u64 timeout_ms)
{
    for (int slot = MAX(from, 0); slot < 32; slot++) {
        struct pci_function fn = { (volatile u8 *)(uintptr_t)(acpi->ecam_base + ((u64)slot << 15)) };
        u32 id = pci_read32(&fn, 0);
        if ((id & 0xffff) != VIRTIO_VENDOR || (id >> 16) != VIRTIO_BLK_MODERN)
            continue;
        *d = (struct blk_dev){ .slot = slot, .fn = fn, .timeout_ms = timeout_ms, .q = &queue_pages[slot] };
        return true;
    }
    return false;
}
