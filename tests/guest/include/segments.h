/* GDT layout, shared by the assembly entry code and the C that fills in the TSS. */
#pragma once

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS (0x18 | 3)
#define USER_CS (0x20 | 3)
#define TSS_SEL 0x28
#define GDT_TSS_INDEX 5

#define BOOT_KIND_PVH 1
#define BOOT_KIND_LINUX64 2

#define CR0_PE 0x00000001
#define CR0_PG 0x80000000
#define CR4_PAE 0x00000020
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100
