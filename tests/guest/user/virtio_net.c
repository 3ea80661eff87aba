/* The polled virtio-net driver of include/virtio_net.h. */
#include "virtio_net.h"
#include "lib.h"
#include "x86.h"

#define VIRTIO_NET_MODERN 0x1041

struct net_avail {
    u16 flags;
    u16 idx;
    u16 ring[NET_QUEUE];
    u16 used_event;
};

struct net_used {
    u16 flags;
    u16 idx;
    struct vq_used_elem ring[NET_QUEUE];
    u16 avail_event;
};

/* One queue's rings, page-aligned pieces (DMA addresses = identity-mapped addresses). */
struct net_ring {
    struct vq_desc desc[NET_QUEUE];                          /* 0x0000 */
    struct net_avail avail;                                  /* 0x1000 */
    u8 pad0[0x1000 - sizeof(struct net_avail)];
    struct net_used used;                                    /* 0x2000 */
    u8 pad1[0x1000 - sizeof(struct net_used)];
};
_Static_assert(sizeof(struct vq_desc) * NET_QUEUE == 0x1000, "descriptor table is one page");

struct net_queues {
    struct net_ring rx, tx;
    u8 rx_buf[NET_QUEUE][NET_BUF];
    u8 tx_buf[NET_QUEUE][NET_BUF];
};

static struct net_queues net_queues __attribute__((aligned(4096))) NOINIT("virtio_net_queues");

bool net_find(const struct acpi_info *acpi, int from, struct net_dev *d, u64 timeout_ms)
{
    struct vpci_dev vp;
    if (!vpci_find(acpi, from, VIRTIO_NET_MODERN, &vp, timeout_ms))
        return false;
    *d = (struct net_dev){ .vp = vp, .q = &net_queues };
    return true;
}

static void rx_post(struct net_dev *d, u16 id)
{
    volatile struct net_avail *avail = &d->q->rx.avail;
    avail->ring[d->rx_avail % d->rx_size] = id;
    mfence();
    avail->idx = ++d->rx_avail;
    d->rx_released++;
}

const char *net_init(struct net_dev *d)
{
    const char *err = vpci_begin(&d->vp, NET_F_MAC | NET_F_STATUS, &d->features);
    if (err)
        return err;
    struct net_queues *q = d->q;
    memset(&q->rx, 0, sizeof q->rx);
    memset(&q->tx, 0, sizeof q->tx);
    err = vpci_queue(&d->vp, 0, NET_QUEUE, &d->rx_size, q->rx.desc, &q->rx.avail, &q->rx.used, &d->rx_notify);
    if (!err)
        err = vpci_queue(&d->vp, 1, NET_QUEUE, &d->tx_size, q->tx.desc, &q->tx.avail, &q->tx.used, &d->tx_notify);
    if (err)
        return err;
    if (d->features & NET_F_MAC)
        vpci_read_config(&d->vp, 0, d->mac, 6);
    else
        memcpy(d->mac, (const u8[6]){ 0x52, 0x54, 0x00, 0xee, 0xee, 0xee }, 6);
    d->status = 1;
    if (d->features & NET_F_STATUS)
        vpci_read_config(&d->vp, 6, &d->status, 2);

    for (u16 i = 0; i < d->rx_size; i++)
        q->rx.desc[i] = (struct vq_desc){ (u64)(uintptr_t)q->rx_buf[i], NET_BUF, VQ_DESC_F_WRITE, 0 };
    for (u16 i = 0; i < d->tx_size; i++) {
        q->tx.desc[i] = (struct vq_desc){ (u64)(uintptr_t)q->tx_buf[i], 0, 0, 0 };
        d->tx_free[i] = (u16)(d->tx_size - 1 - i);
    }
    d->tx_free_count = d->tx_size;
    vpci_driver_ok(&d->vp);
    for (u16 i = 0; i < d->rx_size; i++)
        rx_post(d, i);
    net_rx_kick(d);
    return NULL;
}

const u8 *net_rx_peek(struct net_dev *d, u32 *len)
{
    volatile struct net_used *used = &d->q->rx.used;
    if (used->idx == d->rx_used)
        return NULL;
    mfence();
    struct vq_used_elem e = used->ring[d->rx_used % d->rx_size];
    u32 id = e.id < d->rx_size ? e.id : 0;
    *len = e.len > NET_HDR && e.len <= NET_BUF ? e.len - NET_HDR : 0;
    return d->q->rx_buf[id] + NET_HDR;
}

void net_rx_release(struct net_dev *d)
{
    u32 id = d->q->rx.used.ring[d->rx_used % d->rx_size].id;
    d->rx_used++;
    rx_post(d, (u16)(id < d->rx_size ? id : 0));
}

static void notify(volatile u16 *doorbell, volatile struct net_used *used, u16 queue)
{
    mfence();
    if (!(used->flags & VQ_USED_F_NO_NOTIFY))
        *doorbell = queue;
}

void net_rx_kick(struct net_dev *d)
{
    if (!d->rx_released)
        return;
    d->rx_released = 0;
    notify(d->rx_notify, &d->q->rx.used, 0);
}

u16 net_rx_waiting(const struct net_dev *d) { return (u16)(d->q->rx.used.idx - d->rx_used); }

u16 net_tx_reclaim(struct net_dev *d)
{
    volatile struct net_used *used = &d->q->tx.used;
    while (used->idx != d->tx_used) {
        mfence();
        u32 id = used->ring[d->tx_used % d->tx_size].id;
        d->tx_used++;
        if (id < d->tx_size && d->tx_free_count < d->tx_size)
            d->tx_free[d->tx_free_count++] = (u16)id;
    }
    return (u16)(d->tx_size - d->tx_free_count);
}

u8 *net_tx_buffer(struct net_dev *d)
{
    if (!d->tx_free_count && net_tx_reclaim(d) == d->tx_size)
        return NULL;
    return d->q->tx_buf[d->tx_free[d->tx_free_count - 1]] + NET_HDR;
}

void net_tx_queue(struct net_dev *d, u32 len)
{
    u16 id = d->tx_free[--d->tx_free_count];
    memset(d->q->tx_buf[id], 0, NET_HDR);
    d->q->tx.desc[id].len = NET_HDR + MIN(len, NET_FRAME_MAX);
    volatile struct net_avail *avail = &d->q->tx.avail;
    avail->ring[d->tx_avail % d->tx_size] = id;
    mfence();
    avail->idx = ++d->tx_avail;
}

void net_tx_kick(struct net_dev *d) { notify(d->tx_notify, &d->q->tx.used, 1); }

void net_format_mac(const u8 mac[6], char out[18])
{
    snprint(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}
