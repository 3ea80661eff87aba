/*
 * A polled virtio-blk driver (virtio 1.x, PCI transport, split queue 0, one request at a time),
 * shared by mode=blk and mode=soak. Timeouts count time spent polling (see struct poll_timer),
 * so a VM that is paused or migrated while a request is in flight does not time out.
 */
#pragma once

#include "types.h"
#include "user.h"
#include "virtio_pci.h"

#define BLK_SECTOR 512
#define BLK_ID_BYTES 20

#define BLK_REQ_IN 0
#define BLK_REQ_OUT 1
#define BLK_REQ_FLUSH 4
#define BLK_REQ_GET_ID 8

#define BLK_F_RO (1ull << 5)
#define BLK_F_FLUSH (1ull << 9)

struct blk_queue_page;

struct blk_dev {
    struct vpci_dev vp;       /* vp.timeout_ms also bounds each request, in polled time */
    volatile u16 *notify;
    struct blk_queue_page *q;
    u16 qsize;
    u16 avail_idx;
    u16 used_idx;
    u64 features;             /* negotiated */
};

/* Finds the first modern virtio-blk function in slots from..31 of bus 0 (vpci_map_ecam first) and
   prepares d for it; false if there is none. */
bool blk_find(const struct acpi_info *acpi, int from, struct blk_dev *d, u64 timeout_ms);

/* Reset, negotiate, queue 0, DRIVER_OK. NULL on success, else what went wrong (BLK_TIMED_OUT if
   the device hung). */
const char *blk_init(struct blk_dev *d);
#define BLK_TIMED_OUT VPCI_TIMED_OUT

/* One request of data_len (<= BLK_SECTOR) bytes from/to blk_data(d), polled to completion. False on timeout (the
   device may then still own the buffers: stop using it); else *status = the device's status byte. */
bool blk_request(struct blk_dev *d, u32 type, u64 sector, u32 data_len, bool device_writes, u8 *status);

/* The request data buffer (BLK_SECTOR bytes, DMA-visible). */
u8 *blk_data(struct blk_dev *d);

u64 blk_capacity(struct blk_dev *d);

/* Sets FAILED in the device status, if the common window is mapped. */
void blk_fail(struct blk_dev *d);
