/* Line output: one service call per print. */
#include "lib.h"
#include "svc.h"
#include "user.h"

void print(const char *fmt, ...)
{
    static char line[8192] NOINIT("console_line");
    va_list ap;
    va_start(ap, fmt);
    size_t n = format(line, sizeof line, fmt, ap);
    va_end(ap);
    svc_call(SVC_WRITE, (u64)(uintptr_t)line, n);
}
