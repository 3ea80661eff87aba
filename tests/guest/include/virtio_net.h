/*
 * A polled virtio-net driver (virtio 1.x, PCI transport, one receive and one transmit queue of up
 * to NET_QUEUE entries, one 2 KiB buffer per descriptor, no offloads), for mode=net.
 */
#pragma once

#include "types.h"
#include "user.h"
#include "virtio_pci.h"

#define NET_QUEUE 256
#define NET_BUF 2048
#define NET_HDR 12                      /* struct virtio_net_hdr with num_buffers (VERSION_1) */
#define NET_FRAME_MAX (NET_BUF - NET_HDR)
#define NET_F_MAC (1ull << 5)
#define NET_F_STATUS (1ull << 16)

struct net_queues;

struct net_dev {
    struct vpci_dev vp;
    u64 features;            /* negotiated */
    u8 mac[6];
    u16 status;              /* config status (link up = 1), if NET_F_STATUS */
    u16 rx_size, tx_size;
    volatile u16 *rx_notify, *tx_notify;
    struct net_queues *q;
    u16 rx_avail, rx_used;   /* next avail index we publish; next used index we consume */
    u16 rx_released;         /* buffers re-posted since the last kick */
    u16 tx_avail, tx_used;
    u16 tx_free_count;
    u16 tx_free[NET_QUEUE];
};

/* Finds the first modern virtio-net function in slots from..31 of bus 0 (vpci_map_ecam first). */
bool net_find(const struct acpi_info *acpi, int from, struct net_dev *d, u64 timeout_ms);

/* Reset, negotiate (MAC, STATUS), both queues, every receive buffer posted, DRIVER_OK. NULL or what went wrong. */
const char *net_init(struct net_dev *d);

/* The next received frame (after its header), or NULL; call net_rx_release when done with it. */
const u8 *net_rx_peek(struct net_dev *d, u32 *len);
void net_rx_release(struct net_dev *d);
/* Tells the device about released buffers (unless it asked not to be notified). */
void net_rx_kick(struct net_dev *d);
/* Frames the device has put in the used ring that were not peeked and released yet. */
u16 net_rx_waiting(const struct net_dev *d);

/* A free transmit buffer (room for NET_FRAME_MAX bytes), or NULL when all are in flight. */
u8 *net_tx_buffer(struct net_dev *d);
/* Queues the buffer net_tx_buffer returned with a frame of len bytes; net_tx_kick sends. */
void net_tx_queue(struct net_dev *d, u32 len);
void net_tx_kick(struct net_dev *d);
/* Takes back buffers the device is done with; returns how many are still in flight. */
u16 net_tx_reclaim(struct net_dev *d);

/* "52:54:00:12:34:56" */
void net_format_mac(const u8 mac[6], char out[18]);
