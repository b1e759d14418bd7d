/* Per-key token buckets (e.g. per client address) in a bounded table, safe across threads. */
#include "server/core/rate_limit.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "server/core/clock.h"
#include "server/core/slot_table.h"
#include "server/core/xalloc.h"

/* A slot's value is its tokens; its stamp the time they were last counted. */
struct rate_limit {
    struct slot_table table;
    double per_ms; /* tokens added per millisecond */
    double burst;
    const struct clock *clock; /* borrowed */
};

struct rate_limit *rate_limit_new(int per_minute, int burst, size_t capacity,
                                  const struct clock *clock)
{
    struct rate_limit *rl = xcalloc(1, sizeof *rl);
    slot_table_init(&rl->table, capacity);
    rl->per_ms = per_minute / 60000.0;
    rl->burst = burst > 0 ? burst : 1;
    rl->clock = clock;
    return rl;
}

void rate_limit_free(struct rate_limit *rl)
{
    if (!rl)
        return;
    slot_table_release(&rl->table);
    free(rl);
}

int rate_limit_take(struct rate_limit *rl, const char *key)
{
    if (!rl || rl->per_ms <= 0)
        return 0;
    int64_t now = clock_now_ms(rl->clock);
    int claimed = 0, wait_s = 0;
    pthread_mutex_lock(&rl->table.lock);
    struct slot *s = slot_table_claim(&rl->table, key, &claimed);
    if (!s)
        goto out; /* a key too long to be an address: not limited here */
    double tokens = claimed ? rl->burst : s->value;
    if (!claimed && now > s->stamp_ms)
        tokens = fmin(rl->burst, tokens + (double)(now - s->stamp_ms) * rl->per_ms);
    if (claimed || now > s->stamp_ms)
        s->stamp_ms = now;
    if (tokens >= 1.0) {
        s->value = tokens - 1.0;
    } else {
        s->value = tokens;
        wait_s = (int)ceil((1.0 - tokens) / rl->per_ms / 1000.0);
        if (wait_s < 1)
            wait_s = 1;
    }
out:
    pthread_mutex_unlock(&rl->table.lock);
    return wait_s;
}
