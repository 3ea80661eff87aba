/* A small vsnprintf, enough for the test protocol's lines. */
#include "lib.h"

struct sink {
    char *buf;
    size_t cap; /* excluding the terminating NUL */
    size_t len;
};

static void put(struct sink *s, char c)
{
    if (s->len < s->cap)
        s->buf[s->len] = c;
    s->len++;
}

static void put_padded(struct sink *s, const char *text, size_t n, int width, bool left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left)
        while (fill-- > 0)
            put(s, pad);
    for (size_t i = 0; i < n; i++)
        put(s, text[i]);
    if (left)
        while (fill-- > 0)
            put(s, ' ');
}

static void put_number(struct sink *s, u64 v, bool negative, unsigned base, bool upper, int width, bool left,
                       char pad)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (negative) {
        if (pad == '0') {
            put(s, '-');
            width--;
        } else {
            tmp[n++] = '-';
        }
    }
    char out[24];
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    put_padded(s, out, n, width, left, pad);
}

size_t format(char *buf, size_t cap, const char *fmt, va_list ap)
{
    struct sink s = { buf, cap ? cap - 1 : 0, 0 };
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            put(&s, *f);
            continue;
        }
        f++;
        bool left = false;
        char pad = ' ';
        for (;; f++) {
            if (*f == '-')
                left = true;
            else if (*f == '0')
                pad = '0';
            else
                break;
        }
        int width = 0;
        if (*f == '*') {
            width = va_arg(ap, int);
            f++;
        } else {
            while (*f >= '0' && *f <= '9')
                width = width * 10 + (*f++ - '0');
        }
        int precision = -1;
        if (*f == '.') {
            f++;
            precision = 0;
            if (*f == '*') {
                precision = va_arg(ap, int);
                f++;
            } else {
                while (*f >= '0' && *f <= '9')
                    precision = precision * 10 + (*f++ - '0');
            }
        }
        int longs = 0;
        while (*f == 'l' || *f == 'z' || *f == 'h') {
            if (*f != 'h')
                longs++;
            f++;
        }
        switch (*f) {
        case 'd':
        case 'i': {
            i64 v = longs ? va_arg(ap, i64) : va_arg(ap, int);
            put_number(&s, v < 0 ? -(u64)v : (u64)v, v < 0, 10, false, width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            u64 v = longs ? va_arg(ap, u64) : va_arg(ap, unsigned);
            put_number(&s, v, false, *f == 'u' ? 10 : 16, *f == 'X', width, left, pad);
            break;
        }
        case 'p':
            put(&s, '0');
            put(&s, 'x');
            put_number(&s, (u64)(uintptr_t)va_arg(ap, void *), false, 16, false, width, left, pad);
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            size_t n = precision >= 0 ? strnlen(str, (size_t)precision) : strlen(str);
            put_padded(&s, str, n, width, left, ' ');
            break;
        }
        case 'c':
            put(&s, (char)va_arg(ap, int));
            break;
        case '%':
            put(&s, '%');
            break;
        case '\0':
            f--;
            break;
        default:
            put(&s, '%');
            put(&s, *f);
            break;
        }
    }
    if (cap)
        buf[s.len < s.cap ? s.len : s.cap] = '\0';
    return s.len < s.cap ? s.len : s.cap;
}

size_t snprint(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = format(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}
