/* The schedules ledger: billkey's rows for iamport schedules, Schedule JSON, and the answers shared by the schedule calls. */
#ifndef BILLKEY_SCHEDULE_LEDGER_H
#define BILLKEY_SCHEDULE_LEDGER_H

#include <cjson/cJSON.h>

#include "db/pool.h"
#include "server/billing/schedule.h"
#include "server/iamport/iamport.h"

struct billing_env;

/* Sets out's status, code and formatted message (response left as it is). */
void schedule_answer_set(struct schedule_answer *out, int http_status, int code, const char *fmt,
                         ...) __attribute__((format(printf, 4, 5)));

/* The answer for an iamport failure on a lookup or revoke: iamport's own status, code and
 * message when it answered (404 "존재하지 않는 예약결제 정보입니다." when a lookup's 404 had no
 * message), 502/-1 naming the failure when it did not, 503/-1 when billkey has no client. */
void schedule_answer_upstream(struct schedule_answer *out, enum iamport_status st,
                              const struct iamport_error *err);

/* iamport's Schedule object: every field, timestamps integers (0 unset), amounts numbers,
 * absent strings null. Caller deletes. */
cJSON *schedule_json(const struct iamport_schedule *s);
/* An array of schedule_json() of list's items. Caller deletes. */
cJSON *schedule_list_json(const struct iamport_schedule_list *list);

/* Writes iamport's view of one schedule on billkey's rows (schedules and its payments row:
 * scheduled, revoked, paid, failed, cancelled). *changed = 1 when a row of billkey's changed
 * (0: billkey does not know the merchant_uid, or nothing differed). Inside the caller's
 * transaction. */
enum db_status schedule_ledger_apply(struct db_conn *conn, const struct iamport_schedule *s,
                                     int *changed);

/* Sets billkey's own state on a schedule it booked: schedules.schedule_status and
 * payments.status ('requested', 'refused'/'not_sent', 'not_sent', 'unknown'). */
enum db_status schedule_ledger_mark(struct db_conn *conn, const char *merchant_uid,
                                    const char *schedule_status, const char *payment_status);

/* In one short transaction: schedule_ledger_apply() for every item of list, then an audit row
 * `action` (subject = subject, may be NULL) with detail (taken; the changed merchant_uids are
 * added as "merchant_uids") when at least one row changed or `always`. Logs a failure. */
enum db_status schedule_ledger_save(const struct billing_env *env, const struct schedule_actor *who,
                                    const struct iamport_schedule_list *list, const char *action,
                                    const char *subject, int always, cJSON *detail);

#endif
