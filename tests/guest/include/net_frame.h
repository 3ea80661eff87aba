/*
 * The test frames of mode=net (tests/guest/README.md, "mode=net"): Ethernet, ethertype 0x88b5 (data)
 * or 0x88b6 (an echo of data), then "TNET", the sequence number and the frame length (both u32
 * little-endian), then byte j of the frame = (u8)(seq * 131 + j * 7 + 1) up to the end. net=counter
 * answers with 0x88b7 frames of its own shape (NET_TYPE_COUNTER).
 */
#pragma once

#include "types.h"

#define NET_TYPE_DATA 0x88b5
#define NET_TYPE_ECHO 0x88b6
#define NET_TYPE_COUNTER 0x88b7 /* net=counter's reply: "TNET", the request's seq (u32 LE), the counter (u64 LE) */
#define NET_FRAME_HEAD 26      /* Ethernet header + magic + seq + length */
#define NET_FRAME_MIN 60

/* Writes a test frame of len bytes (at least NET_FRAME_MIN) with seq into f. */
void net_frame_build(u8 *f, u32 len, const u8 dst[6], const u8 src[6], u16 type, u32 seq);

/* The frame's ethertype (big-endian on the wire). */
u16 net_frame_type(const u8 *f, u32 len);

/* True when f is an intact test frame (magic, length and pattern); *seq gets its sequence number. */
bool net_frame_check(const u8 *f, u32 len, u32 *seq);
