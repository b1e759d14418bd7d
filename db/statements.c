/* The single list of SQL statements the service runs: name, fixed SQL text, parameter count. */
#include "db/statements.h"

#include <stddef.h>

static const struct db_statement statements[STMT_COUNT] = {
    [STMT_PING] = {"ping", "SELECT 1", 0},
    [STMT_SCHEMA_VERSION] = {"schema_version",
                             "SELECT coalesce(max(version), 0) FROM schema_migrations", 0},
    [STMT_AUDIT_INSERT] = {"audit_insert",
                           "INSERT INTO audit_events (actor, action, subject, request_id, detail) "
                           "VALUES ($1, $2, $3, $4, coalesce($5::jsonb, '{}'::jsonb)) RETURNING id",
                           5},
    [STMT_REGISTRATION_INSERT] = {"registration_insert",
                                  "WITH r AS (INSERT INTO registrations (merchant_uid, "
                                  "customer_uid, customer_id, pg_provider, pg, pay_method, "
                                  "amount, window_amount, name, charge_now, buyer_name, "
                                  "buyer_email, buyer_tel, created_by) VALUES ($1, $2, $3, $4, "
                                  "$5, $6, $7::bigint, $8::bigint, $9, $10::boolean, $11, $12, "
                                  "$13, $14) RETURNING merchant_uid, created_at) "
                                  "INSERT INTO registrations_pending (merchant_uid, created_at) "
                                  "SELECT merchant_uid, created_at FROM r",
                                  14},
    [STMT_REGISTRATION_GET] = {"registration_get",
                               "SELECT r.merchant_uid, r.customer_uid, r.customer_id, "
                               "r.pg_provider, r.pg, r.pay_method, r.amount, r.window_amount, "
                               "r.name, r.charge_now, r.buyer_name, r.buyer_email, r.buyer_tel, "
                               "r.status, r.imp_uid, r.fail_reason, r.card_name, r.card_number "
                               "FROM registrations r WHERE r.merchant_uid = $1",
                               1},
    [STMT_REGISTRATION_SET_STATUS] = {"registration_set_status",
                                      "WITH r AS (UPDATE registrations SET status = $2, "
                                      "imp_uid = $3, fail_reason = $4, updated_at = now() "
                                      "WHERE merchant_uid = $1 "
                                      "AND status IN ('pending', 'failed') "
                                      "RETURNING merchant_uid, status), "
                                      "q AS (DELETE FROM registrations_pending WHERE "
                                      "merchant_uid = $1 AND EXISTS (SELECT 1 FROM r "
                                      "WHERE status <> 'pending')) "
                                      "SELECT merchant_uid FROM r",
                                      4},
    [STMT_BILLING_KEY_INSERT] = {"billing_key_insert",
                                 "WITH r AS (UPDATE registrations SET card_name = $5, "
                                 "card_number = $6 WHERE customer_uid = $1) "
                                 "INSERT INTO billing_keys (customer_uid, customer_id, "
                                 "pg_provider, pg, card_name, card_number, imp_uid) "
                                 "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                                 7},
    [STMT_PAYMENT_ISSUE_RECORD] = {"payment_issue_record",
                                   "INSERT INTO payments (merchant_uid, customer_uid, kind, "
                                   "registration_merchant_uid, amount, name, status, imp_uid, "
                                   "fail_reason, iamport, cancel_amount) VALUES ($1, $2, "
                                   "'issue', $1, $3::bigint, $4, $5, $6, $7, $8::jsonb, "
                                   "$9::bigint) "
                                   "ON CONFLICT (merchant_uid) DO UPDATE SET "
                                   "amount = EXCLUDED.amount, status = EXCLUDED.status, "
                                   "imp_uid = EXCLUDED.imp_uid, "
                                   "fail_reason = EXCLUDED.fail_reason, "
                                   "iamport = EXCLUDED.iamport, "
                                   "cancel_amount = greatest(payments.cancel_amount, "
                                   "EXCLUDED.cancel_amount), updated_at = now() "
                                   "WHERE payments.kind = 'issue'",
                                   9},
    [STMT_FIRST_CHARGE_CLAIM] = {"first_charge_claim",
                                 "INSERT INTO payments (merchant_uid, customer_uid, kind, "
                                 "registration_merchant_uid, amount, name, status, request) "
                                 "VALUES ($1, $2, 'first_charge', $3, $4::bigint, $5, "
                                 "'requested', $6::jsonb) ON CONFLICT (registration_merchant_uid) "
                                 "WHERE kind = 'first_charge' DO UPDATE SET status = 'requested', "
                                 "request = EXCLUDED.request, updated_at = now() "
                                 "WHERE payments.status = 'not_sent' "
                                 "RETURNING merchant_uid, xmax = 0",
                                 6},
    [STMT_FIRST_PAYMENT_GET] = {"first_payment_get",
                                "SELECT merchant_uid, amount, status, imp_uid, fail_reason, kind "
                                "FROM payments WHERE registration_merchant_uid = $1 "
                                "AND kind IN ('issue', 'first_charge') "
                                "ORDER BY created_at, merchant_uid LIMIT 1",
                                1},
    [STMT_PAYMENT_SETTLE] = {"payment_settle",
                             "UPDATE payments SET status = $2, imp_uid = $3, fail_reason = $4, "
                             "iamport = $5::jsonb, cancel_amount = greatest(cancel_amount, "
                             "$6::bigint), updated_at = now() WHERE merchant_uid = $1 "
                             "AND status IN ('requested', 'unknown') RETURNING merchant_uid",
                             6},
    [STMT_CUSTOMER_BILLING_KEYS] = {"customer_billing_keys",
                                    "SELECT b.customer_uid, b.pg, b.pg_provider, b.card_name, "
                                    "b.card_number, b.status, "
                                    "to_char(b.created_at AT TIME ZONE 'UTC', "
                                    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                                    "r.merchant_uid, r.status, r.fail_reason, "
                                    "p.merchant_uid, p.amount, p.status, p.imp_uid, "
                                    "p.fail_reason FROM billing_keys b "
                                    "JOIN registrations r ON r.customer_uid = b.customer_uid "
                                    "LEFT JOIN LATERAL (SELECT merchant_uid, amount, status, "
                                    "imp_uid, fail_reason FROM payments "
                                    "WHERE registration_merchant_uid = r.merchant_uid "
                                    "AND kind IN ('issue', 'first_charge') "
                                    "ORDER BY created_at, merchant_uid LIMIT 1) p ON true "
                                    "WHERE b.customer_id = $1 "
                                    "ORDER BY b.created_at, b.customer_uid",
                                    1},
    [STMT_BILLING_KEY_GET] = {"billing_key_get",
                              "SELECT b.customer_uid, b.customer_id, b.pg_provider, b.pg, "
                              "b.card_name, b.card_number, b.status, r.buyer_name, "
                              "r.buyer_email, r.buyer_tel FROM billing_keys b "
                              "JOIN registrations r ON r.customer_uid = b.customer_uid "
                              "WHERE b.customer_uid = $1",
                              1},
    [STMT_BILLING_KEY_MARK_DELETED] = {"billing_key_mark_deleted",
                                       "UPDATE billing_keys SET status = 'deleted' "
                                       "WHERE customer_uid = $1 AND status = 'active' "
                                       "RETURNING customer_uid",
                                       1},
    [STMT_IDEMPOTENCY_CLAIM] = {"idempotency_claim",
                                "INSERT INTO idempotency_keys (api_key_name, idempotency_key, "
                                "request_hash) VALUES ($1, $2, $3) "
                                "ON CONFLICT (api_key_name, idempotency_key) DO UPDATE SET "
                                "request_hash = EXCLUDED.request_hash, "
                                "claim = gen_random_uuid(), created_at = now() "
                                "WHERE idempotency_keys.http_status IS NULL "
                                "AND idempotency_keys.created_at < now() - $4::interval "
                                "RETURNING claim::text",
                                4},
    [STMT_IDEMPOTENCY_GET] = {"idempotency_get",
                              "SELECT request_hash, http_status, content_type, response_body "
                              "FROM idempotency_keys "
                              "WHERE api_key_name = $1 AND idempotency_key = $2",
                              2},
    [STMT_IDEMPOTENCY_FINISH] = {"idempotency_finish",
                                 "UPDATE idempotency_keys SET http_status = $4::integer, "
                                 "content_type = $5, response_body = $6 "
                                 "WHERE api_key_name = $1 AND idempotency_key = $2 "
                                 "AND claim = $3::uuid AND http_status IS NULL RETURNING 1",
                                 6},
    [STMT_IDEMPOTENCY_RELEASE] = {"idempotency_release",
                                  "DELETE FROM idempotency_keys "
                                  "WHERE api_key_name = $1 AND idempotency_key = $2 "
                                  "AND claim = $3::uuid AND http_status IS NULL",
                                  3},
    [STMT_SCHEDULE_CLAIM] =
        {"schedule_claim",
         "WITH prev AS (SELECT status FROM payments WHERE merchant_uid = $1) "
         "INSERT INTO payments (merchant_uid, customer_uid, kind, amount, name, tax_free, status, "
         "created_by, request) SELECT $1, $2, 'scheduled', $3::bigint, $4, $5::bigint, "
         "'requested', $6, $7::jsonb WHERE NOT EXISTS (SELECT 1 FROM registrations "
         "WHERE merchant_uid = $1) ON CONFLICT (merchant_uid) DO UPDATE SET customer_uid = "
         "EXCLUDED.customer_uid, amount = EXCLUDED.amount, name = EXCLUDED.name, tax_free = "
         "EXCLUDED.tax_free, status = 'requested', created_by = EXCLUDED.created_by, request = "
         "EXCLUDED.request, imp_uid = NULL, fail_reason = NULL, iamport = NULL, updated_at = now() "
         "WHERE payments.kind = 'scheduled' AND payments.status IN ('not_sent', 'unknown') "
         "RETURNING merchant_uid, (SELECT status FROM prev)",
         7},
    [STMT_SCHEDULE_ROW_CLAIM] =
        {"schedule_row_claim",
         "INSERT INTO schedules (merchant_uid, customer_uid, schedule_at, amount, name, "
         "created_by) VALUES ($1, $2, $3::bigint, $4::bigint, $5, $6) ON CONFLICT (merchant_uid) "
         "DO UPDATE SET customer_uid = EXCLUDED.customer_uid, schedule_at = EXCLUDED.schedule_at, "
         "amount = EXCLUDED.amount, name = EXCLUDED.name, created_by = EXCLUDED.created_by, "
         "schedule_status = 'requested', payment_status = NULL, imp_uid = NULL, fail_reason = "
         "NULL, executed_at = 0, revoked_at = 0, updated_at = now()",
         6},
    [STMT_SCHEDULE_RECORD] =
        {"schedule_record",
         "WITH s AS (UPDATE schedules SET schedule_status = $2, payment_status = $3, imp_uid = $4, "
         "fail_reason = $5, executed_at = $6::bigint, revoked_at = $7::bigint, updated_at = now() "
         "WHERE merchant_uid = $1 AND (schedule_status, payment_status, imp_uid, fail_reason, "
         "executed_at, revoked_at) IS DISTINCT FROM ($2, $3, $4, $5, $6::bigint, $7::bigint) "
         "RETURNING merchant_uid) UPDATE payments SET status = $8, imp_uid = $4, fail_reason = $5, "
         "iamport = coalesce($9::jsonb, iamport), updated_at = now() WHERE merchant_uid IN "
         "(SELECT merchant_uid FROM s) RETURNING merchant_uid",
         9},
    [STMT_PAYMENT_REFRESH] = {"payment_refresh",
                              "UPDATE payments SET status = CASE WHEN payments.status = "
                              "'cancelled' THEN 'cancelled' ELSE $2 END, "
                              "imp_uid = coalesce(payments.imp_uid, $3), "
                              "cancel_amount = greatest(payments.cancel_amount, $4::bigint), "
                              "iamport = $5::jsonb, updated_at = now() "
                              "WHERE merchant_uid = $1 "
                              "AND (payments.imp_uid IS NULL OR payments.imp_uid = $3) "
                              "RETURNING status, cancel_amount",
                              5},
    [STMT_SCHEDULE_REVOKE] = {"schedule_revoke",
                              "WITH s AS (UPDATE schedules SET schedule_status = 'revoked', "
                              "revoked_at = $2::bigint, updated_at = now() "
                              "WHERE merchant_uid = $1 AND schedule_status IN "
                              "('requested', 'scheduled', 'unknown') RETURNING merchant_uid), "
                              "p AS (UPDATE payments SET status = 'revoked', updated_at = now() "
                              "WHERE merchant_uid IN (SELECT merchant_uid FROM s) "
                              "AND status IN ('requested', 'scheduled', 'unknown')) "
                              "SELECT merchant_uid FROM s",
                              2},
    [STMT_AGAIN_CLAIM] = {"again_claim",
                          "INSERT INTO payments AS p (merchant_uid, customer_uid, kind, amount, "
                          "name, status, created_by, tax_free, request) "
                          "SELECT $1, $2, 'again', $3::bigint, $4, 'requested', $6, $5::bigint, "
                          "$7::jsonb WHERE NOT EXISTS "
                          "(SELECT 1 FROM registrations WHERE merchant_uid = $1) "
                          "ON CONFLICT (merchant_uid) DO UPDATE SET status = 'requested', "
                          "name = EXCLUDED.name, tax_free = EXCLUDED.tax_free, "
                          "request = EXCLUDED.request, updated_at = now() "
                          "WHERE p.kind = 'again' AND p.customer_uid = EXCLUDED.customer_uid "
                          "AND p.amount = EXCLUDED.amount AND (p.status IN ('not_sent', "
                          "'unknown') OR (p.status = 'requested' AND p.updated_at < now() - "
                          "$8::bigint * interval '1 millisecond')) RETURNING xmax = 0",
                          8},
    [STMT_PAYMENT_LEDGER_GET] = {"payment_ledger_get",
                                 "SELECT kind, status, customer_uid, amount FROM payments "
                                 "WHERE merchant_uid = $1",
                                 1},
    [STMT_WEBHOOK_INSERT] = {"webhook_insert",
                             "INSERT INTO webhook_events (imp_uid, merchant_uid, claimed_status, "
                             "source_addr) VALUES ($1, $2, $3, $4) RETURNING id",
                             4},
    [STMT_WEBHOOK_CLAIM] = {"webhook_claim",
                            "WITH c AS (SELECT id FROM webhook_events "
                            "WHERE state IN ('received', 'processing') AND lease_until <= now() "
                            "ORDER BY lease_until, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
                            "UPDATE webhook_events w SET state = 'processing', "
                            "attempts = w.attempts + 1, claim = gen_random_uuid(), "
                            "lease_until = now() + $1::bigint * interval '1 millisecond', "
                            "updated_at = now() FROM c WHERE w.id = c.id "
                            "RETURNING w.id, w.imp_uid, w.merchant_uid, w.claim, w.attempts",
                            1},
    [STMT_WEBHOOK_FINISH] = {"webhook_finish",
                             "UPDATE webhook_events SET state = $3, result = $4, "
                             "lease_until = now() + coalesce($5::bigint, 0) * "
                             "interval '1 millisecond', updated_at = now() "
                             "WHERE id = $1::bigint AND claim = $2::uuid AND state = 'processing' "
                             "RETURNING id",
                             5},
    [STMT_WEBHOOK_TARGET] = {"webhook_target",
                             "SELECT EXISTS (SELECT 1 FROM registrations WHERE merchant_uid = $1), "
                             "(SELECT kind FROM payments WHERE merchant_uid = $1), "
                             "EXISTS (SELECT 1 FROM schedules WHERE merchant_uid = $1)",
                             1},
    [STMT_WEBHOOK_PAYMENT_LOCK] = {"webhook_payment_lock",
                                   "SELECT status, cancel_amount, fail_reason FROM payments "
                                   "WHERE merchant_uid = $1 FOR UPDATE",
                                   1},
    [STMT_REGISTRATION_LEASE_TAKE] = {"registration_lease_take",
                                      "UPDATE registrations SET "
                                      "verify_lease_owner = gen_random_uuid()::text, "
                                      "verify_lease_until = now() + $2::bigint * "
                                      "interval '1 millisecond' "
                                      "WHERE merchant_uid = $1 AND (verify_lease_until IS NULL "
                                      "OR verify_lease_until <= now()) "
                                      "RETURNING verify_lease_owner",
                                      2},
    [STMT_REGISTRATION_LEASE_CHECK] = {"registration_lease_check",
                                       "SELECT merchant_uid FROM registrations "
                                       "WHERE merchant_uid = $1 AND verify_lease_owner = $2 "
                                       "FOR UPDATE",
                                       2},
    [STMT_REGISTRATION_LEASE_DROP] = {"registration_lease_drop",
                                      "UPDATE registrations SET verify_lease_owner = NULL, "
                                      "verify_lease_until = NULL "
                                      "WHERE merchant_uid = $1 AND verify_lease_owner = $2",
                                      2},
    [STMT_RECONCILE_REGISTRATION_CLAIM] = {"reconcile_registration_claim",
                                           "WITH c AS (SELECT merchant_uid FROM "
                                           "registrations_pending WHERE created_at < now() - "
                                           "$1::bigint * interval '1 second' AND reconcile_after "
                                           "<= now() AND refund_due_at IS NULL ORDER BY "
                                           "reconcile_after, created_at LIMIT 1 "
                                           "FOR UPDATE SKIP LOCKED) UPDATE registrations_pending q "
                                           "SET reconcile_after = now() + $2::bigint * interval "
                                           "'1 millisecond' FROM c WHERE q.merchant_uid = "
                                           "c.merchant_uid RETURNING q.merchant_uid",
                                           2},
    [STMT_RECONCILE_REGISTRATION_EXPIRE] = {"reconcile_registration_expire",
                                            "WITH r AS (UPDATE registrations SET status = "
                                            "'expired', fail_reason = $2, updated_at = now() "
                                            "WHERE merchant_uid = $1 AND status = 'pending' "
                                            "RETURNING merchant_uid), q AS (DELETE FROM "
                                            "registrations_pending WHERE merchant_uid = $1 AND "
                                            "EXISTS (SELECT 1 FROM r)) SELECT merchant_uid FROM r",
                                            2},
    [STMT_RECONCILE_ISSUE_FAIL] = {"reconcile_issue_fail",
                                   "UPDATE payments SET status = 'failed', fail_reason = $2, "
                                   "updated_at = now() WHERE merchant_uid = $1 AND kind = 'issue' "
                                   "AND status IN ('requested', 'unknown') RETURNING merchant_uid",
                                   2},
    [STMT_RECONCILE_CHARGE_CLAIM] = {"reconcile_charge_claim",
                                     "WITH c AS (SELECT merchant_uid FROM payments p WHERE "
                                     "status IN ('requested', 'unknown') AND kind IN ('issue', "
                                     "'first_charge', 'again') AND updated_at < now() - "
                                     "$1::bigint * interval '1 second' AND reconcile_after <= "
                                     "now() AND NOT (kind = 'issue' AND EXISTS (SELECT 1 FROM "
                                     "registrations r WHERE r.merchant_uid = "
                                     "p.registration_merchant_uid AND r.status = 'pending')) "
                                     "ORDER BY reconcile_after, updated_at LIMIT 1 FOR UPDATE "
                                     "SKIP LOCKED) UPDATE payments p SET reconcile_after = now() "
                                     "+ $2::bigint * interval '1 millisecond' FROM c WHERE "
                                     "p.merchant_uid = c.merchant_uid RETURNING p.merchant_uid, "
                                     "p.kind, p.amount, p.updated_at < now() - $3::bigint * "
                                     "interval '1 millisecond'",
                                     3},
    [STMT_RECONCILE_SCHEDULE_CLAIM] =
        {"reconcile_schedule_claim",
         "WITH c AS (SELECT merchant_uid FROM schedules WHERE "
         "schedule_status IN ('requested', 'scheduled', 'unknown') "
         "AND payment_status IS NULL AND (schedule_at < extract(epoch "
         "FROM now())::bigint - $1::bigint OR (schedule_status <> "
         "'scheduled' AND updated_at < now() - $3::bigint * interval "
         "'1 millisecond')) "
         "AND reconcile_after <= now() ORDER BY "
         "reconcile_after, schedule_at LIMIT 1 FOR UPDATE SKIP "
         "LOCKED) UPDATE schedules s SET reconcile_after = now() + "
         "$2::bigint * interval '1 millisecond' FROM c WHERE "
         "s.merchant_uid = c.merchant_uid RETURNING "
         "s.merchant_uid, s.schedule_status, s.updated_at < now() "
         "- $3::bigint * interval '1 millisecond'",
         3},
    [STMT_RECONCILE_WEBHOOK_REQUEUE] = {"reconcile_webhook_requeue",
                                        "WITH c AS (SELECT id FROM webhook_events WHERE state = "
                                        "'failed' AND updated_at < now() - $1::bigint * "
                                        "interval '1 millisecond' ORDER BY updated_at, id LIMIT 1 "
                                        "FOR UPDATE SKIP LOCKED) UPDATE webhook_events w SET "
                                        "state = 'received', attempts = $2::int, lease_until = "
                                        "now(), updated_at = now() FROM c WHERE w.id = c.id "
                                        "RETURNING w.id, w.imp_uid, w.merchant_uid",
                                        2},
    [STMT_RECONCILE_REGISTRATION_RETRY] = {"reconcile_registration_retry",
                                           "UPDATE registrations_pending SET reconcile_after = "
                                           "now() + CASE WHEN refund_due_at IS NULL THEN "
                                           "$2::bigint * interval '1 millisecond' ELSE "
                                           "least($2::bigint * interval '1 millisecond', "
                                           "greatest($3::bigint * interval '1 millisecond', "
                                           "now() - refund_due_at)) END WHERE merchant_uid = $1",
                                           3},
    [STMT_RECONCILE_CHARGE_RETRY] = {"reconcile_charge_retry",
                                     "UPDATE payments SET reconcile_after = now() + $2::bigint * "
                                     "interval '1 millisecond' WHERE merchant_uid = $1",
                                     2},
    [STMT_RECONCILE_SCHEDULE_RETRY] = {"reconcile_schedule_retry",
                                       "UPDATE schedules SET reconcile_after = now() + "
                                       "$2::bigint * interval '1 millisecond' WHERE "
                                       "merchant_uid = $1",
                                       2},
    [STMT_RECONCILE_IDEMPOTENCY_PURGE] = {"reconcile_idempotency_purge",
                                          "DELETE FROM idempotency_keys WHERE (api_key_name, "
                                          "idempotency_key) IN (SELECT api_key_name, "
                                          "idempotency_key FROM idempotency_keys WHERE created_at "
                                          "< now() - $1::bigint * interval '1 second' ORDER BY "
                                          "created_at LIMIT $2::int FOR UPDATE SKIP LOCKED)",
                                          2},
    [STMT_REGISTRATION_ACTIVATE] = {"registration_activate",
                                    "WITH r AS (UPDATE registrations SET status = 'active', "
                                    "imp_uid = $2, card_name = $3, card_number = $4, "
                                    "fail_reason = NULL, updated_at = now(), "
                                    "verify_lease_owner = NULL, verify_lease_until = NULL "
                                    "WHERE merchant_uid = $1 AND status = 'pending' "
                                    "AND NOT charge_now AND (verify_lease_until IS NULL OR "
                                    "verify_lease_until <= now()) RETURNING merchant_uid, "
                                    "customer_uid, customer_id, pg_provider, pg), "
                                    "q AS (DELETE FROM registrations_pending WHERE "
                                    "merchant_uid = $1 AND EXISTS (SELECT 1 FROM r)), "
                                    "k AS (INSERT INTO billing_keys (customer_uid, customer_id, "
                                    "pg_provider, pg, card_name, card_number, imp_uid) SELECT "
                                    "customer_uid, customer_id, pg_provider, pg, $3, $4, $2 "
                                    "FROM r), "
                                    "a AS (INSERT INTO audit_events (actor, action, subject, "
                                    "request_id, detail) SELECT $5, 'registration.active', "
                                    "merchant_uid, $6, $7::jsonb FROM r) "
                                    "SELECT merchant_uid FROM r",
                                    7},
    /* The array twins below mirror their single-row statement clause by clause: the same
     * column list, the same CTEs r, k, a and the same WHERE; the single statement's $n is
     * u.<name> (reads) or v.<name> (writes) here. A change to one is copied to the other. */
    [STMT_REGISTRATION_GET_BATCH] = {"registration_get_batch",
                                     "SELECT u.item, r.merchant_uid, r.customer_uid, "
                                     "r.customer_id, r.pg_provider, r.pg, r.pay_method, "
                                     "r.amount, r.window_amount, r.name, r.charge_now, "
                                     "r.buyer_name, r.buyer_email, r.buyer_tel, r.status, "
                                     "r.imp_uid, r.fail_reason, r.card_name, r.card_number "
                                     "FROM unnest($1::text[]) WITH ORDINALITY "
                                     "AS u(merchant_uid, item) "
                                     "JOIN registrations r ON r.merchant_uid = u.merchant_uid",
                                     1},
    [STMT_REGISTRATION_ACTIVATE_BATCH] =
        {"registration_activate_batch",
         "WITH v AS (SELECT DISTINCT ON (merchant_uid) item, merchant_uid, imp_uid, card_name, "
         "card_number, actor, request_id, detail FROM unnest($1::text[], $2::text[], $3::text[], "
         "$4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS u(merchant_uid, "
         "imp_uid, card_name, card_number, actor, request_id, detail, item) "
         "ORDER BY merchant_uid, item), "
         "r AS (UPDATE registrations SET status = 'active', "
         "imp_uid = v.imp_uid, card_name = v.card_name, card_number = v.card_number, "
         "fail_reason = NULL, updated_at = now(), "
         "verify_lease_owner = NULL, verify_lease_until = NULL "
         "FROM v WHERE registrations.merchant_uid = v.merchant_uid AND status = 'pending' "
         "AND NOT charge_now AND (verify_lease_until IS NULL OR "
         "verify_lease_until <= now()) RETURNING v.item, registrations.merchant_uid, "
         "customer_uid, customer_id, pg_provider, pg, v.imp_uid, v.card_name, v.card_number, "
         "v.actor, v.request_id, v.detail), "
         "q AS (DELETE FROM registrations_pending WHERE merchant_uid IN "
         "(SELECT merchant_uid FROM r)), "
         "k AS (INSERT INTO billing_keys (customer_uid, customer_id, "
         "pg_provider, pg, card_name, card_number, imp_uid) SELECT "
         "customer_uid, customer_id, pg_provider, pg, card_name, card_number, imp_uid FROM r), "
         "a AS (INSERT INTO audit_events (actor, action, subject, "
         "request_id, detail) SELECT actor, 'registration.active', "
         "merchant_uid, request_id, detail::jsonb FROM r) "
         "SELECT item, merchant_uid FROM r",
         7},
    [STMT_BACKLOG] =
        {"backlog",
         "SELECT r.registrations, r.registrations_overdue, r.refunds, r.refunds, c.pending, "
         "c.overdue, s.pending, s.overdue, w.pending, w.failed, w.lag FROM "
         "(SELECT count(*) FILTER (WHERE refund_due_at IS NULL) AS registrations, "
         "count(*) FILTER (WHERE refund_due_at IS NULL AND created_at < now() - $1::bigint * "
         "interval '1 second') AS registrations_overdue, "
         "count(*) FILTER (WHERE refund_due_at IS NOT NULL) AS refunds "
         "FROM registrations_pending) r, "
         "(SELECT count(*) AS pending, count(*) FILTER (WHERE updated_at < now() - $2::bigint * "
         "interval '1 second') AS overdue FROM payments p WHERE status IN ('requested', "
         "'unknown') AND kind IN ('issue', 'first_charge', 'again') AND NOT (kind = 'issue' AND "
         "EXISTS (SELECT 1 FROM registrations g WHERE g.merchant_uid = "
         "p.registration_merchant_uid AND g.status = 'pending'))) c, "
         "(SELECT count(*) AS pending, count(*) FILTER (WHERE schedule_at < extract(epoch FROM "
         "now())::bigint - $3::bigint OR (schedule_status <> 'scheduled' AND updated_at < now() "
         "- $4::bigint * interval '1 millisecond')) AS overdue FROM schedules WHERE "
         "schedule_status IN ('requested', 'scheduled', 'unknown') AND payment_status IS NULL "
         "AND (schedule_at < extract(epoch FROM now())::bigint OR schedule_status <> "
         "'scheduled')) s, "
         "(SELECT count(*) AS pending, count(*) FILTER (WHERE state = 'failed') AS failed, "
         "coalesce(extract(epoch FROM now() - min(received_at) FILTER (WHERE state IN "
         "('received', 'processing'))), 0) AS lag FROM webhook_events WHERE state IN "
         "('received', 'processing', 'failed')) w",
         4},
    /* refund_due_at = now() only when this statement set it: now() is the transaction's start */
    [STMT_REGISTRATION_REFUND_DUE] = {"registration_refund_due",
                                      "UPDATE registrations_pending SET refund_due_at = "
                                      "coalesce(refund_due_at, now()), reconcile_after = CASE "
                                      "WHEN refund_due_at IS NULL THEN now() ELSE "
                                      "reconcile_after END WHERE merchant_uid = $1 "
                                      "RETURNING refund_due_at = now()",
                                      1},
    [STMT_RECONCILE_REFUND_CLAIM] = {"reconcile_refund_claim",
                                     "WITH c AS (SELECT merchant_uid FROM registrations_pending "
                                     "WHERE refund_due_at IS NOT NULL AND "
                                     "refund_due_at <= now() - $1::bigint * interval '1 second' "
                                     "AND reconcile_after <= now() ORDER BY reconcile_after "
                                     "LIMIT 1 FOR UPDATE SKIP LOCKED) UPDATE registrations_pending "
                                     "q SET reconcile_after = now() + $2::bigint * interval "
                                     "'1 millisecond' FROM c WHERE q.merchant_uid = "
                                     "c.merchant_uid RETURNING q.merchant_uid",
                                     2},
    /* the common case reads only: the insert runs (and locks the row) only to renew it */
    [STMT_MERCHANT_TOKEN_EXPIRY] = {"merchant_token_expiry",
                                    "WITH cur AS (SELECT expires_at FROM merchant_token_expiry "
                                    "WHERE key_name = $1 AND expires_at - $2::bigint > "
                                    "$4::bigint), u AS (INSERT INTO merchant_token_expiry "
                                    "(key_name, expires_at) SELECT $1, $2::bigint + $3::bigint "
                                    "WHERE NOT EXISTS (SELECT 1 FROM cur) ON CONFLICT (key_name) "
                                    "DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE "
                                    "merchant_token_expiry.expires_at - $2::bigint <= $4::bigint "
                                    "RETURNING expires_at) SELECT expires_at FROM cur UNION ALL "
                                    "SELECT expires_at FROM u",
                                    4},
};

const struct db_statement *db_statement(enum db_stmt id)
{
    if ((int)id < 0 || id >= STMT_COUNT)
        return NULL;
    return &statements[id];
}
