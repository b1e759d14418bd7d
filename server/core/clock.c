/* The injectable clock: the system's real time, or a stopped one for tests. */
#include "server/core/clock.h"

#include <time.h>

static int64_t system_now_ms(const struct clock *c)
{
    (void)c;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t fixed_now_ms(const struct clock *c)
{
    return c->fixed_ms;
}

const struct clock clock_system = {system_now_ms, 0};

struct clock clock_fixed(int64_t ms)
{
    struct clock c = {fixed_now_ms, ms};
    return c;
}

int64_t clock_now_ms(const struct clock *c)
{
    if (!c)
        c = &clock_system;
    return c->now_ms(c);
}

int64_t clock_now_s(const struct clock *c)
{
    int64_t ms = clock_now_ms(c);
    return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}
