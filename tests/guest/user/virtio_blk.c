/* The polled virtio-blk driver of include/virtio_blk.h, on the transport of virtio_pci.h. */
#include "virtio_blk.h"
#include "lib.h"
#include "x86.h"

#define VIRTIO_BLK_MODERN 0x1042
#define QUEUE_MAX 16

struct vq_avail {
    u16 flags;
    u16 idx;
    u16 ring[QUEUE_MAX];
    u16 used_event;
};

struct vq_used {
    u16 flags;
    u16 idx;
    struct vq_used_elem ring[QUEUE_MAX];
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

const char *blk_init(struct blk_dev *d)
{
    const char *err = vpci_begin(&d->vp, BLK_F_RO | BLK_F_FLUSH, &d->features);
    if (err)
        return err;
    struct blk_queue_page *q = d->q;
    memset(q, 0, sizeof *q);
    err = vpci_queue(&d->vp, 0, QUEUE_MAX, &d->qsize, q->desc, &q->avail, &q->used, &d->notify);
    if (err)
        return err;
    vpci_driver_ok(&d->vp);
    return NULL;
}

/* Uses descriptors 0..2: one request at a time. */
bool blk_request(struct blk_dev *d, u32 type, u64 sector, u32 data_len, bool device_writes, u8 *status)
{
    struct blk_queue_page *q = d->q;
    q->header = (struct blk_req_header){ type, 0, sector };
    q->status = 0xff;
    u16 n = 0;
    q->desc[n] = (struct vq_desc){ (u64)(uintptr_t)&q->header, sizeof q->header, VQ_DESC_F_NEXT, (u16)(n + 1) };
    n++;
    if (data_len) {
        q->desc[n] = (struct vq_desc){ (u64)(uintptr_t)q->data, data_len,
                                       (u16)(VQ_DESC_F_NEXT | (device_writes ? VQ_DESC_F_WRITE : 0)), (u16)(n + 1) };
        n++;
    }
    q->desc[n] = (struct vq_desc){ (u64)(uintptr_t)&q->status, 1, VQ_DESC_F_WRITE, 0 };

    volatile struct vq_avail *avail = &q->avail;
    volatile struct vq_used *used = &q->used;
    avail->ring[d->avail_idx % d->qsize] = 0;
    mfence();
    avail->idx = ++d->avail_idx;
    mfence();
    *d->notify = 0; /* queue index */
    struct poll_timer t;
    for (poll_timer_start(&t, d->vp.timeout_ms); used->idx == d->used_idx;) {
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
    vpci_read_config(&d->vp, 0, &v, sizeof v);
    return v;
}

u8 *blk_data(struct blk_dev *d) { return d->q->data; }

void blk_fail(struct blk_dev *d) { vpci_fail(&d->vp); }

bool blk_find(const struct acpi_info *acpi, int from, struct blk_dev *d, u64 timeout_ms)
{
    struct vpci_dev vp;
    if (!vpci_find(acpi, from, VIRTIO_BLK_MODERN, &vp, timeout_ms))
        return false;
    *d = (struct blk_dev){ .vp = vp, .q = &queue_pages[vp.slot] };
    return true;
}
