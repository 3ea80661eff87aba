#include "pci.h"

u64 pci_bar_address(const struct pci_function *f, u32 bar)
{
    if (bar > 5)
        return 0;
    u32 lo = pci_read32(f, 0x10 + 4 * bar);
    if (lo & 1) /* I/O space: ring 3 cannot use it on this host */
        return 0;
    u64 addr = lo & ~0xfull;
    if (((lo >> 1) & 3) == 2 && bar < 5)
        addr |= (u64)pci_read32(f, 0x14 + 4 * bar) << 32;
    return addr;
}
