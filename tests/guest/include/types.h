/* Basic types shared by ring 0 and ring 3 code. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t i64;

#define KIB ((u64)1024)
#define MIB (1024 * KIB)
#define GIB (1024 * MIB)

#define ALIGN_DOWN(x, a) ((x) & ~((u64)(a) - 1))
#define ALIGN_UP(x, a) ALIGN_DOWN((x) + (a) - 1, (a))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define NORETURN __attribute__((noreturn))
#define PACKED __attribute__((packed))
/* Big buffers that the kernel never zeroes itself (stacks, page-table pool, queue pages). */
#define NOINIT(name) __attribute__((section(".bss.noinit." name)))
