/* Freestanding helpers usable from both rings. */
#pragma once

#include "types.h"

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);

/* vsnprintf subset: %d %i %u %x %X %s %c %p %%, flags '0' '-', width, precision (.N, .*),
   length h hh l ll z. Always NUL-terminates; returns the length written. */
size_t format(char *buf, size_t cap, const char *fmt, va_list ap);
size_t snprint(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

u32 crc32_ieee(const void *data, size_t len);

/* splitmix64's finaliser: a bijection on 64-bit values, so distinct inputs never collide. */
static inline u64 mix64(u64 x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}
