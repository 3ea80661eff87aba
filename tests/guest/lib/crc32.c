/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bit by bit: inputs here are tiny. */
#include "lib.h"

u32 crc32_ieee(const void *data, size_t len)
{
    const u8 *p = data;
    u32 crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return ~crc;
}
