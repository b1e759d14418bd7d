/* The injectable clock: domain code asks it for the time, so tests can set the time. */
#ifndef BILLKEY_CLOCK_H
#define BILLKEY_CLOCK_H

#include <stdint.h>

/* A source of wall-clock time in milliseconds since the UNIX epoch. Static or caller-owned;
 * nothing here allocates. `fixed_ms` is for clock_fixed() and ignored by the system clock. */
struct clock {
    int64_t (*now_ms)(const struct clock *c);
    int64_t fixed_ms;
};

/* The real clock (CLOCK_REALTIME). */
extern const struct clock clock_system;

/* A clock stopped at `ms` (tests move it by assigning fixed_ms). */
struct clock clock_fixed(int64_t ms);

/* Now, in milliseconds / seconds since the epoch. A NULL clock is the system clock. */
int64_t clock_now_ms(const struct clock *c);
int64_t clock_now_s(const struct clock *c);

#endif
