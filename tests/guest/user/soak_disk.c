/*
 * mode=soak's disk log (blk=1), on the first modern virtio-blk device of bus 0. Before the ticks
 * start, sector 2 gets "SOAK-BEFORE 0x<checksum>\n"; each check reads it back and writes
 * "SOAK-TICK <n>\n" to sector 3 + (checks before this one % 1000). Sectors are zero-padded.
 * Requests may wait 60 s of polled time, so a paused or migrating VM never times them out; a
 * request that does time out may still own the buffers, so the disk is left alone after it.
 */
#include "virtio_blk.h"
#include "lib.h"

#define SOAK_BLK_TIMEOUT_MS 60000
#define BEFORE_SECTOR 2
#define TICK_SECTOR_FIRST 3
#define TICK_SECTORS 1000

static struct blk_dev disk;
static bool usable;
static u64 checks;
static u8 before[BLK_SECTOR];

static void make_sector(u8 *buf, const char *text)
{
    memset(buf, 0, BLK_SECTOR);
    memcpy(buf, text, MIN(strlen(text), (size_t)BLK_SECTOR));
}

/* Writes sector 2 and prints "SOAK blk before=<what>"; true if the disk is usable from then on. */
bool soak_disk_open(const struct acpi_info *acpi, u64 checksum)
{
    char what[24] = "ok";
    usable = false;
    const char *err = NULL;
    if (!vpci_map_ecam(acpi) || !blk_find(acpi, 0, &disk, SOAK_BLK_TIMEOUT_MS))
        err = "no-device";
    else
        err = blk_init(&disk);
    if (!err) {
        char text[48];
        snprint(text, sizeof text, "SOAK-BEFORE 0x%016lx\n", checksum);
        make_sector(before, text);
        memcpy(blk_data(&disk), before, BLK_SECTOR);
        u8 st;
        if (!blk_request(&disk, BLK_REQ_OUT, BEFORE_SECTOR, BLK_SECTOR, false, &st))
            err = BLK_TIMED_OUT;
        else if (st != 0)
            snprint(what, sizeof what, "status-%u", st);
        else
            usable = true;
    }
    if (err) {
        snprint(what, sizeof what, "%s", err);
        blk_fail(&disk);
    }
    print("SOAK blk before=%s\n", what);
    return usable;
}

/* The read-back and the next log write of one check; returns how many BAD lines it printed. */
u64 soak_disk_check(u64 tick)
{
    if (!usable)
        return 0;
    u8 *data = blk_data(&disk);
    u8 st;
    u64 bad = 0;
    memset(data, 0, BLK_SECTOR);
    if (!blk_request(&disk, BLK_REQ_IN, BEFORE_SECTOR, BLK_SECTOR, true, &st)) {
        print("SOAK blk read tick=%lu BAD status=timeout\n", tick);
        usable = false;
        return 1;
    }
    if (st == 0 && memcmp(data, before, BLK_SECTOR) == 0) {
        print("SOAK blk read tick=%lu ok\n", tick);
    } else {
        print("SOAK blk read tick=%lu BAD status=%u\n", tick, st);
        bad++;
    }

    u64 sector = TICK_SECTOR_FIRST + checks % TICK_SECTORS;
    checks++;
    char text[48];
    snprint(text, sizeof text, "SOAK-TICK %lu\n", tick);
    make_sector(data, text);
    if (!blk_request(&disk, BLK_REQ_OUT, sector, BLK_SECTOR, false, &st)) {
        print("SOAK blk write tick=%lu sector=%lu status=timeout\n", tick, sector);
        usable = false;
    } else {
        print("SOAK blk write tick=%lu sector=%lu status=%u\n", tick, sector, st);
    }
    return bad;
}
