/* The then= action: say what is about to happen, then do it. */
#include "svc.h"
#include "user.h"

#define SLP_EN (1u << 13)

NORETURN void finish(enum then_action action, const struct acpi_info *acpi)
{
    switch (action) {
    case THEN_POWEROFF:
        print("POWEROFF\n");
        if (acpi->have_pm1a_cnt && acpi->have_s5) {
            svc_call(SVC_POWEROFF, acpi->pm1a_cnt, ((u32)(acpi->s5_slp_typ & 7) << 10) | SLP_EN);
            clock_sleep_ms(1000); /* the VMM may act on it asynchronously */
        }
        print("POWEROFF failed\n");
        break;
    case THEN_REBOOT:
        print("REBOOT\n");
        svc_call(SVC_RESET_KBC, 0, 0);
        clock_sleep_ms(500);
        svc_call(SVC_TRIPLE_FAULT, 0, 0);
        break;
    case THEN_TRIPLEFAULT:
        print("TRIPLEFAULT\n");
        svc_call(SVC_TRIPLE_FAULT, 0, 0);
        break;
    case THEN_HALT:
        print("HALT\n");
        break;
    }
    for (;;)
        svc_call(SVC_HALT, 0, 0);
}
