/*
 * The virtio 1.x PCI transport from ring 3, polled: find a modern virtio function on bus 0,
 * negotiate features, set up split queues, and the ring layouts both drivers (virtio_blk.c,
 * virtio_net.c) share. No interrupts: every queue has NO_VECTOR and drivers poll the used ring.
 */
#pragma once

#include "pci.h"
#include "types.h"
#include "user.h"

#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VQ_DESC_F_NEXT 1
#define VQ_DESC_F_WRITE 2
#define VQ_USED_F_NO_NOTIFY 1

struct vq_desc {
    u64 addr;
    u32 len;
    u16 flags;
    u16 next;
};

struct vq_used_elem {
    u32 id;
    u32 len;
};

/* One modern virtio function and the windows of its BAR that ring 3 has mapped. */
struct vpci_dev {
    int slot;
    struct pci_function fn;
    u64 timeout_ms;           /* for a reset, in polled time */
    volatile u8 *common;
    volatile u8 *device;
    u32 notify_cap;           /* config-space offset of the notify capability */
};

/* Maps bus 0's ECAM window (from the MCFG table); false if there is none. */
bool vpci_map_ecam(const struct acpi_info *acpi);

/* Finds the first function with PCI device id device_id (0x1040 + virtio type) in slots from..31. */
bool vpci_find(const struct acpi_info *acpi, int from, u16 device_id, struct vpci_dev *d, u64 timeout_ms);

/* Maps the windows, resets the device, sets ACKNOWLEDGE | DRIVER, accepts offered & wanted (VERSION_1 is
   required) and sets FEATURES_OK. NULL on success, else what went wrong (VPCI_TIMED_OUT if the reset hung). */
const char *vpci_begin(struct vpci_dev *d, u64 wanted, u64 *negotiated);
extern const char VPCI_TIMED_OUT[];

/* Sets up queue `index` with at most max_size entries at the given rings; *size gets the size used and
   *notify the queue's doorbell. NULL on success, else what went wrong. */
const char *vpci_queue(struct vpci_dev *d, u16 index, u16 max_size, u16 *size, void *desc, void *avail, void *used,
                       volatile u16 **notify);

void vpci_driver_ok(struct vpci_dev *d);

/* Sets FAILED in the device status, if the common window is mapped. */
void vpci_fail(struct vpci_dev *d);

/* Reads the device-specific configuration at offset into buf, retrying until the generation is stable. */
void vpci_read_config(struct vpci_dev *d, u32 offset, void *buf, u32 len);
