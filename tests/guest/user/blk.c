/* mode=blk: read, write, verify and flush a sector on each modern virtio-blk device of bus 0. */
#include "virtio_blk.h"
#include "lib.h"

#define BLK_TIMEOUT_MS 5000

static void print_serial(struct blk_dev *d, u8 status)
{
    const u8 *data = blk_data(d);
    char s[BLK_ID_BYTES + 1];
    size_t n = 0;
    for (size_t i = 0; status == 0 && i < BLK_ID_BYTES && data[i]; i++)
        if (data[i] >= 0x20 && data[i] < 0x7f)
            s[n++] = (char)data[i];
    s[n] = 0;
    print("BLK dev=%d serial=\"%s\"\n", d->vp.slot, s);
}

static void fill_write_pattern(u8 *buf, int slot)
{
    char text[48];
    size_t n = (size_t)snprint(text, sizeof text, "TERN-BLK-WRITE slot=%d\n", slot);
    memcpy(buf, text, n);
    for (size_t i = n; i < BLK_SECTOR; i++)
        buf[i] = (u8)(i & 0xff);
}

/* Runs the read/write/verify/flush sequence; false if a request timed out. */
static bool exercise(struct blk_dev *d)
{
    u8 *data = blk_data(d);
    u8 st;
    print("BLK dev=%d capacity=%lu ro=%d\n", d->vp.slot, blk_capacity(d), (d->features & BLK_F_RO) ? 1 : 0);

    memset(data, 0, BLK_ID_BYTES);
    if (!blk_request(d, BLK_REQ_GET_ID, 0, BLK_ID_BYTES, true, &st))
        return false;
    print_serial(d, st);

    memset(data, 0, BLK_SECTOR);
    if (!blk_request(d, BLK_REQ_IN, 0, BLK_SECTOR, true, &st))
        return false;
    char head[33];
    for (int i = 0; i < 32; i++)
        head[i] = data[i] >= 0x20 && data[i] < 0x7f ? (char)data[i] : '.';
    head[32] = 0;
    print("BLK dev=%d read sector=0 crc=0x%08x head=\"%s\"\n", d->vp.slot, crc32_ieee(data, BLK_SECTOR), head);

    u8 expected[BLK_SECTOR];
    fill_write_pattern(expected, d->vp.slot);
    memcpy(data, expected, BLK_SECTOR);
    u8 write_status;
    if (!blk_request(d, BLK_REQ_OUT, 1, BLK_SECTOR, false, &write_status))
        return false;
    print("BLK dev=%d write sector=1 status=%u\n", d->vp.slot, write_status);

    if (write_status != 0) {
        print("BLK dev=%d verify=skipped\n", d->vp.slot);
    } else {
        memset(data, 0, BLK_SECTOR);
        if (!blk_request(d, BLK_REQ_IN, 1, BLK_SECTOR, true, &st))
            return false;
        bool ok = st == 0 && memcmp(data, expected, BLK_SECTOR) == 0;
        print("BLK dev=%d verify=%s\n", d->vp.slot, ok ? "ok" : "bad");
    }

    if (d->features & BLK_F_FLUSH) {
        if (!blk_request(d, BLK_REQ_FLUSH, 0, 0, false, &st))
            return false;
        print("BLK dev=%d flush status=%u\n", d->vp.slot, st);
    }
    return true;
}

static void probe(struct blk_dev *d)
{
    const char *err = blk_init(d);
    bool ok = !err && exercise(d);
    if (ok)
        return;
    blk_fail(d);
    if (!err || err == BLK_TIMED_OUT)
        print("BLK dev=%d timeout\n", d->vp.slot);
    else
        print("BLK dev=%d error=%s\n", d->vp.slot, err);
}

void run_blk(const struct acpi_info *acpi)
{
    int count = 0;
    struct blk_dev d;
    if (vpci_map_ecam(acpi)) {
        for (int from = 0; blk_find(acpi, from, &d, BLK_TIMEOUT_MS); from = d.vp.slot + 1) {
            count++;
            probe(&d);
        }
    }
    print("BLK devices=%d\n", count);
}
