/* Per-key token buckets (e.g. per client address) in a bounded table, safe across threads. */
#ifndef BILLKEY_RATE_LIMIT_H
#define BILLKEY_RATE_LIMIT_H

#include <stddef.h>

struct clock;
struct rate_limit;

/* A limiter allowing `burst` attempts at once per key, refilled at `per_minute` attempts a
 * minute; per_minute 0 allows everything. At most `capacity` keys are remembered: past that
 * the least recently seen key of a probe window is forgotten (it starts again with a full
 * bucket). `clock` is borrowed (NULL: the system clock). Caller frees with rate_limit_free(). */
struct rate_limit *rate_limit_new(int per_minute, int burst, size_t capacity,
                                  const struct clock *clock);
void rate_limit_free(struct rate_limit *rl);
/* Takes one attempt for key. Returns 0 when allowed, else the whole seconds (>= 1) until the
 * key's next attempt is allowed. NULL rl allows everything. */
int rate_limit_take(struct rate_limit *rl, const char *key);

#endif
