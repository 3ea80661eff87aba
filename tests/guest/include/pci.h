/* PCI configuration space over ECAM, from ring 3 (MMIO exits to the VMM like any MMIO). */
#pragma once

#include "types.h"

struct pci_function {
    volatile u8 *cfg; /* 4 KiB ECAM window of this bus/device/function */
};

/* Dword accesses only: every ECAM implementation handles them. */
static inline u32 pci_read32(const struct pci_function *f, u32 off)
{
    return *(volatile u32 *)(f->cfg + (off & ~3u));
}
static inline u8 pci_read8(const struct pci_function *f, u32 off) { return (u8)(pci_read32(f, off) >> ((off & 3) * 8)); }
static inline u16 pci_read16(const struct pci_function *f, u32 off) { return (u16)(pci_read32(f, off) >> ((off & 2) * 8)); }
static inline void pci_write16(const struct pci_function *f, u32 off, u16 v) { *(volatile u16 *)(f->cfg + off) = v; }

#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CAP_PTR 0x34
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_STATUS_CAP_LIST 0x10

/* The memory address BAR n decodes (64-bit BARs included); 0 if unassigned or an I/O BAR. */
u64 pci_bar_address(const struct pci_function *f, u32 bar);
