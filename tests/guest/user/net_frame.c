/* The test frames of include/net_frame.h. */
#include "net_frame.h"
#include "lib.h"

static u8 pattern(u32 seq, u32 j) { return (u8)(seq * 131u + j * 7u + 1u); }

static void put32(u8 *p, u32 v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (u8)(v >> (8 * i));
}

static u32 get32(const u8 *p) { return p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24; }

void net_frame_build(u8 *f, u32 len, const u8 dst[6], const u8 src[6], u16 type, u32 seq)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = (u8)(type >> 8);
    f[13] = (u8)type;
    memcpy(f + 14, "TNET", 4);
    put32(f + 18, seq);
    put32(f + 22, len);
    for (u32 j = NET_FRAME_HEAD; j < len; j++)
        f[j] = pattern(seq, j);
}

u16 net_frame_type(const u8 *f, u32 len) { return len >= 14 ? (u16)(f[12] << 8 | f[13]) : 0; }

bool net_frame_check(const u8 *f, u32 len, u32 *seq)
{
    if (len < NET_FRAME_HEAD || memcmp(f + 14, "TNET", 4) != 0 || get32(f + 22) != len)
        return false;
    *seq = get32(f + 18);
    for (u32 j = NET_FRAME_HEAD; j < len; j++)
        if (f[j] != pattern(*seq, j))
            return false;
    return true;
}
