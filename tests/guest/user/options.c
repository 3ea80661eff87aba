/* The command line: space-separated key=value pairs; unknown keys and bad values are ignored. */
#include "lib.h"
#include "user.h"

static bool parse_u64(const char *s, size_t len, u64 *out)
{
    if (!len || len > 19)
        return false;
    u64 v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (u64)(s[i] - '0');
    }
    *out = v;
    return true;
}

static bool is(const char *s, size_t len, const char *word) { return strlen(word) == len && memcmp(s, word, len) == 0; }

static void apply(const char *key, size_t klen, const char *val, size_t vlen, struct options *o, bool *mib_given)
{
    if (is(key, klen, "mode")) {
        if (is(val, vlen, "ticks")) o->mode = MODE_TICKS;
        else if (is(val, vlen, "fill")) o->mode = MODE_FILL;
        else if (is(val, vlen, "dirty")) o->mode = MODE_DIRTY;
        else if (is(val, vlen, "blk")) o->mode = MODE_BLK;
        else if (is(val, vlen, "idle")) o->mode = MODE_IDLE;
        else if (is(val, vlen, "soak")) o->mode = MODE_SOAK;
        else if (is(val, vlen, "net")) o->mode = MODE_NET;
    } else if (is(key, klen, "net")) {
        if (is(val, vlen, "echo")) o->net = NET_ECHO;
        else if (is(val, vlen, "tx")) o->net = NET_TX;
        else if (is(val, vlen, "rx")) o->net = NET_RX;
        else if (is(val, vlen, "stall")) o->net = NET_STALL;
        else if (is(val, vlen, "counter")) o->net = NET_COUNTER;
    } else if (is(key, klen, "frames")) {
        parse_u64(val, vlen, &o->frames);
    } else if (is(key, klen, "size")) {
        parse_u64(val, vlen, &o->size);
    } else if (is(key, klen, "then")) {
        if (is(val, vlen, "halt")) o->then = THEN_HALT;
        else if (is(val, vlen, "poweroff")) o->then = THEN_POWEROFF;
        else if (is(val, vlen, "reboot")) o->then = THEN_REBOOT;
        else if (is(val, vlen, "triplefault")) o->then = THEN_TRIPLEFAULT;
    } else if (is(key, klen, "ticks")) {
        parse_u64(val, vlen, &o->ticks);
    } else if (is(key, klen, "tick_ms")) {
        u64 v;
        if (parse_u64(val, vlen, &v) && v > 0)
            o->tick_ms = v;
    } else if (is(key, klen, "busy")) {
        u64 v;
        if (parse_u64(val, vlen, &v) && v <= 100)
            o->busy = v;
    } else if (is(key, klen, "mib")) {
        *mib_given |= parse_u64(val, vlen, &o->mib);
    } else if (is(key, klen, "passes")) {
        parse_u64(val, vlen, &o->passes);
    } else if (is(key, klen, "rate")) {
        parse_u64(val, vlen, &o->rate);
    } else if (is(key, klen, "check_every")) {
        u64 v;
        if (parse_u64(val, vlen, &v) && v > 0)
            o->check_every = v;
    } else if (is(key, klen, "blk")) {
        if (is(val, vlen, "0")) o->blk = false;
        else if (is(val, vlen, "1")) o->blk = true;
    } else if (is(key, klen, "rewrite")) {
        if (is(val, vlen, "0")) o->rewrite = false;
        else if (is(val, vlen, "1")) o->rewrite = true;
    }
}

void options_parse(const char *s, size_t len, struct options *o)
{
    *o = (struct options){ .mode = MODE_TICKS, .ticks = 0, .tick_ms = 100, .busy = 100, .mib = 16, .passes = 0, .rate = 0,
                           .check_every = 10, .blk = false, .rewrite = false, .net = NET_ECHO, .frames = 0, .size = 64,
                           .then = THEN_HALT };
    bool mib_given = false;
    size_t i = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
            i++;
        size_t start = i;
        while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\n')
            i++;
        const char *tok = s + start;
        size_t tlen = i - start;
        for (size_t eq = 0; eq < tlen; eq++) {
            if (tok[eq] == '=') {
                apply(tok, eq, tok + eq + 1, tlen - eq - 1, o, &mib_given);
                break;
            }
        }
    }
    if (o->mode == MODE_SOAK && !mib_given)
        o->mib = 256;
}
