/* COM1, polled. Ring 0 only (port I/O). */
#include "kernel.h"
#include "lib.h"
#include "x86.h"

#define COM1 0x3f8
#define LSR_THR_EMPTY 0x20

void serial_init(void)
{
    outb(COM1 + 1, 0x00); /* no UART interrupts */
    outb(COM1 + 3, 0x80); /* DLAB */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
}

static void serial_putc(char c)
{
    /* Bounded wait: a missing or stuck UART must not hang the kernel. */
    for (int i = 0; i < 100000 && !(inb(COM1 + 5) & LSR_THR_EMPTY); i++)
        ;
    outb(COM1, (u8)c);
}

void serial_write(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        serial_putc(buf[i]);
}

void kprintf(const char *fmt, ...)
{
    static char line[256] NOINIT("kprintf_line");
    va_list ap;
    va_start(ap, fmt);
    size_t n = format(line, sizeof line, fmt, ap);
    va_end(ap);
    serial_write(line, n);
}
