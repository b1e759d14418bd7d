/* Korean Standard Time dates (UTC+9, no daylight saving), as iamport's KST-dated fields want them. */
#include "server/billing/kst.h"

#include <time.h>

#include "server/core/clock.h"

#define KST_OFFSET_SECONDS (9 * 3600)

void kst_date(const struct clock *clock, char out[9])
{
    time_t now = (time_t)(clock_now_s(clock) + KST_OFFSET_SECONDS);
    struct tm tm;
    out[0] = '\0';
    if (!gmtime_r(&now, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
        return;
    if (strftime(out, 9, "%Y%m%d", &tm) != 8)
        out[0] = '\0';
}
