/* The schedules ledger: billkey's rows for iamport schedules and iamport's Schedule JSON. */
#ifndef BILLKEY_SCHEDULE_LEDGER_H
#define BILLKEY_SCHEDULE_LEDGER_H

#include <cjson/cJSON.h>

#include "db/pool.h"
#include "server/iamport/iamport.h"

struct billing_env;

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
 * `action` by actor under request_id (subject = subject, may be NULL) with detail (taken; the changed merchant_uids are
 * added as "merchant_uids") when at least one row changed or `always`. Logs a failure. */
enum db_status schedule_ledger_save(const struct billing_env *env, const char *actor,
                                    const char *request_id,
                                    const struct iamport_schedule_list *list, const char *action,
                                    const char *subject, int always, cJSON *detail);

#endif
