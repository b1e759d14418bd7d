/* Korean Standard Time dates (UTC+9, no daylight saving), as iamport's KST-dated fields want them. */
#ifndef BILLKEY_KST_H
#define BILLKEY_KST_H

struct clock;

/* The date in Korea at the clock's now (NULL: the system clock) as "yyyyMMdd" (NaverPay's
 * naverUseCfm): 2026-12-06T14:59:59Z is "20261206", 15:00:00Z "20261207". Writes into the
 * caller's out; out is "" when the date is outside years 0000..9999. */
void kst_date(const struct clock *clock, char out[9]);

#endif
