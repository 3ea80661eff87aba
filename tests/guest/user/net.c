/* mode=net: traffic through the first virtio-net device of bus 0 (see tests/guest/README.md). */
#include "lib.h"
#include "net_frame.h"
#include "svc.h"
#include "virtio_net.h"
#include "x86.h"

#define NET_TIMEOUT_MS 5000
#define RX_IDLE_MS 1000
#define ECHO_REPORT_MS 1000
#define PRINT_FIRST 4
#define TX_BATCH 32
#define COUNTER_REPORT_EVERY 100
#define COUNTER_IDLE_MS 1

static const u8 BROADCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static bool open_net(const struct acpi_info *acpi, struct net_dev *d)
{
    if (!vpci_map_ecam(acpi) || !net_find(acpi, 0, d, NET_TIMEOUT_MS)) {
        print("NET devices=0\n");
        return false;
    }
    const char *err = net_init(d);
    if (err) {
        vpci_fail(&d->vp);
        print("NET dev=%d error=%s\n", d->vp.slot, err);
        return false;
    }
    char mac[18];
    net_format_mac(d->mac, mac);
    print("NET dev=%d mac=%s link=%s features=0x%lx rxq=%u txq=%u\n", d->vp.slot, mac,
          (d->status & 1) ? "up" : "down", d->features, d->rx_size, d->tx_size);
    return true;
}

/* A free transmit buffer, kicking the queue and waiting for the device while all are in flight. */
static u8 *tx_wait_buffer(struct net_dev *d)
{
    u8 *buf = net_tx_buffer(d);
    if (buf)
        return buf;
    net_tx_kick(d);
    struct poll_timer t;
    for (poll_timer_start(&t, NET_TIMEOUT_MS); !(buf = net_tx_buffer(d));) {
        if (poll_timer_expired(&t)) {
            print("NET tx timeout\n");
            return NULL;
        }
        cpu_relax();
    }
    return buf;
}

/* Sends every queued frame and waits until the device has taken them all; false on timeout. */
static bool tx_drain(struct net_dev *d)
{
    net_tx_kick(d);
    struct poll_timer t;
    for (poll_timer_start(&t, NET_TIMEOUT_MS); net_tx_reclaim(d);) {
        if (poll_timer_expired(&t)) {
            print("NET tx timeout\n");
            return false;
        }
        cpu_relax();
    }
    return true;
}

/* Answers every data frame with an echo (same payload, to its sender, ethertype 0x88b6). */
static void run_echo(const struct options *o, struct net_dev *d)
{
    u8 *hello = tx_wait_buffer(d);
    if (!hello)
        return;
    net_frame_build(hello, 128, BROADCAST, d->mac, NET_TYPE_DATA, 0);
    net_tx_queue(d, 128);
    net_tx_kick(d);
    print("NET hello seq=0 len=128\n");
    print("NET echo ready\n");

    u64 rx = 0, echoed = 0, bad = 0, other = 0, reported = 0;
    u64 next_report = rdtsc() + clock_ms_to_tsc(ECHO_REPORT_MS);
    while (!o->frames || echoed < o->frames) {
        u32 len;
        const u8 *f;
        bool any = false;
        while ((f = net_rx_peek(d, &len))) {
            any = true;
            u32 seq = 0;
            if (net_frame_type(f, len) != NET_TYPE_DATA) {
                other++;
            } else {
                bool ok = net_frame_check(f, len, &seq);
                if (rx < PRINT_FIRST || (!ok && bad < PRINT_FIRST))
                    print("NET rx seq=%u len=%u %s\n", seq, len, ok ? "ok" : "bad");
                rx++;
                u8 *out = ok ? tx_wait_buffer(d) : NULL;
                if (out) {
                    memcpy(out, f, len);
                    memcpy(out, f + 6, 6);
                    memcpy(out + 6, d->mac, 6);
                    out[12] = NET_TYPE_ECHO >> 8;
                    out[13] = NET_TYPE_ECHO & 0xff;
                    net_tx_queue(d, len);
                    echoed++;
                } else {
                    bad++;
                }
            }
            net_rx_release(d);
        }
        if (any) {
            net_tx_kick(d);
            net_rx_kick(d);
        }
        net_tx_reclaim(d);
        if ((i64)(rdtsc() - next_report) >= 0) {
            next_report = rdtsc() + clock_ms_to_tsc(ECHO_REPORT_MS);
            if (rx + other != reported) {
                reported = rx + other;
                print("NET echo rx=%lu echoed=%lu bad=%lu other=%lu\n", rx, echoed, bad, other);
            }
        }
        cpu_relax();
    }
    tx_drain(d);
    print("NET echo done rx=%lu echoed=%lu bad=%lu other=%lu\n", rx, echoed, bad, other);
}

/* Sends `frames` data frames (seq 1..N) of `size` bytes to the broadcast address as fast as the device takes them. */
static void run_tx(const struct options *o, struct net_dev *d)
{
    u64 frames = o->frames ? o->frames : 10000;
    u32 size = (u32)MIN(MAX(o->size, NET_FRAME_MIN), NET_FRAME_MAX);
    print("NET tx start frames=%lu size=%u\n", frames, size);
    u64 start = rdtsc();
    for (u64 seq = 1; seq <= frames; seq++) {
        u8 *buf = tx_wait_buffer(d);
        if (!buf)
            return;
        net_frame_build(buf, size, BROADCAST, d->mac, NET_TYPE_DATA, (u32)seq);
        net_tx_queue(d, size);
        if (seq % TX_BATCH == 0)
            net_tx_kick(d);
    }
    if (!tx_drain(d))
        return;
    u64 us = clock_tsc_to_us(rdtsc() - start);
    print("NET tx frames=%lu bytes=%lu us=%lu\n", frames, frames * size, us);
}

/* Counts data frames until `frames` arrived or none came for RX_IDLE_MS; reports sequence gaps as lost. */
static void run_rx(const struct options *o, struct net_dev *d)
{
    print("NET rx ready\n");
    u64 count = 0, bytes = 0, lost = 0, bad = 0, first = 0, last = 0;
    u32 expect = 1;
    while (!o->frames || count < o->frames) {
        u32 len;
        const u8 *f = net_rx_peek(d, &len);
        if (!f) {
            net_rx_kick(d);
            if (count && clock_tsc_to_ms(rdtsc() - last) >= RX_IDLE_MS)
                break;
            cpu_relax();
            continue;
        }
        u32 seq;
        if (net_frame_type(f, len) == NET_TYPE_DATA) {
            last = rdtsc();
            if (!count)
                first = last;
            if (!net_frame_check(f, len, &seq)) {
                bad++;
            } else {
                if (seq > expect)
                    lost += seq - expect;
                if (seq >= expect)
                    expect = seq + 1;
                count++;
                bytes += len;
            }
        }
        net_rx_release(d);
        if (count % TX_BATCH == 0)
            net_rx_kick(d);
    }
    net_rx_kick(d);
    print("NET rx frames=%lu bytes=%lu us=%lu lost=%lu bad=%lu\n", count, bytes, clock_tsc_to_us(last - first), lost, bad);
}

/*
 * Answers every intact data frame with a counter reply (NET_TYPE_COUNTER, to the frame's sender):
 * "TNET", the request's seq, then `counter`, which lives in guest memory and goes up by one per
 * reply. A client that sees a value twice or out of order saw the guest's memory go back. With no
 * frame waiting the guest sleeps a millisecond, so an idle counter does not hold a host CPU.
 */
static void run_counter(struct net_dev *d)
{
    static u64 counter;
    print("NET counter ready\n");
    for (;;) {
        u32 len;
        const u8 *f;
        bool any = false;
        while ((f = net_rx_peek(d, &len))) {
            any = true;
            u32 seq;
            u8 *out;
            if (net_frame_type(f, len) == NET_TYPE_DATA && net_frame_check(f, len, &seq) && (out = tx_wait_buffer(d))) {
                memset(out, 0, NET_FRAME_MIN);
                memcpy(out, f + 6, 6);
                memcpy(out + 6, d->mac, 6);
                out[12] = NET_TYPE_COUNTER >> 8;
                out[13] = NET_TYPE_COUNTER & 0xff;
                memcpy(out + 14, "TNET", 4);
                counter++;
                for (int i = 0; i < 4; i++)
                    out[18 + i] = (u8)(seq >> (8 * i));
                for (int i = 0; i < 8; i++)
                    out[22 + i] = (u8)(counter >> (8 * i));
                net_tx_queue(d, NET_FRAME_MIN);
                if (counter % COUNTER_REPORT_EVERY == 0)
                    print("NET counter n=%lu\n", counter);
            }
            net_rx_release(d);
        }
        if (any) {
            net_tx_kick(d);
            net_rx_kick(d);
        }
        net_tx_reclaim(d);
        if (!any)
            svc_call(SVC_SLEEP_UNTIL, rdtsc() + clock_ms_to_tsc(COUNTER_IDLE_MS), 0);
    }
}

/* Posts every receive buffer, then never takes a frame: the device must stop reading its backend. */
static void run_stall(struct net_dev *d)
{
    print("NET stall posted=%u\n", d->rx_size);
    while (net_rx_waiting(d) != d->rx_size)
        cpu_relax();
    print("NET stall full\n");
    for (;;)
        cpu_relax();
}

void run_net(const struct options *o, const struct acpi_info *acpi)
{
    struct net_dev d;
    if (!open_net(acpi, &d))
        return;
    switch (o->net) {
    case NET_ECHO: run_echo(o, &d); break;
    case NET_TX: run_tx(o, &d); break;
    case NET_RX: run_rx(o, &d); break;
    case NET_STALL: run_stall(&d); break;
    case NET_COUNTER: run_counter(&d); break;
    }
}
