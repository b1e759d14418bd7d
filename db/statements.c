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
                                  "INSERT INTO registrations (merchant_uid, customer_uid, "
                                  "customer_id, pg_provider, pg, pay_method, amount, "
                                  "window_amount, name, charge_now, buyer_name, buyer_email, "
                                  "buyer_tel, created_by) VALUES ($1, $2, $3, $4, $5, $6, "
                                  "$7::bigint, $8::bigint, $9, $10::boolean, $11, $12, $13, $14)",
                                  14},
    [STMT_LOCK_TIMEOUT_LOCAL] = {"lock_timeout_local",
                                 "SELECT set_config('lock_timeout', $1, true)", 1},
    [STMT_REGISTRATION_LOCK] = {"registration_lock",
                                "SELECT pg_advisory_lock(hashtextextended('registration:' || $1, "
                                "0))",
                                1},
    [STMT_REGISTRATION_UNLOCK] = {"registration_unlock",
                                  "SELECT pg_advisory_unlock(hashtextextended('registration:' || "
                                  "$1, 0))",
                                  1},
    [STMT_REGISTRATION_GET] = {"registration_get",
                               "SELECT r.merchant_uid, r.customer_uid, r.customer_id, "
                               "r.pg_provider, r.pg, r.pay_method, r.amount, r.window_amount, "
                               "r.name, r.charge_now, r.buyer_name, r.buyer_email, r.buyer_tel, "
                               "r.status, r.imp_uid, r.fail_reason, b.card_name, b.card_number "
                               "FROM registrations r LEFT JOIN billing_keys b "
                               "ON b.customer_uid = r.customer_uid WHERE r.merchant_uid = $1",
                               1},
    [STMT_REGISTRATION_SET_STATUS] = {"registration_set_status",
                                      "UPDATE registrations SET status = $2, imp_uid = $3, "
                                      "fail_reason = $4, updated_at = now() "
                                      "WHERE merchant_uid = $1 "
                                      "AND status IN ('pending', 'failed') "
                                      "RETURNING merchant_uid",
                                      4},
    [STMT_BILLING_KEY_INSERT] = {"billing_key_insert",
                                 "INSERT INTO billing_keys (customer_uid, customer_id, "
                                 "pg_provider, pg, card_name, card_number) "
                                 "VALUES ($1, $2, $3, $4, $5, $6)",
                                 6},
    [STMT_PAYMENT_ISSUE_RECORD] = {"payment_issue_record",
                                   "INSERT INTO payments (merchant_uid, customer_uid, kind, "
                                   "registration_merchant_uid, amount, name, status, imp_uid, "
                                   "fail_reason, iamport) VALUES ($1, $2, 'issue', $1, "
                                   "$3::bigint, $4, $5, $6, $7, $8::jsonb) "
                                   "ON CONFLICT (merchant_uid) DO UPDATE SET "
                                   "amount = EXCLUDED.amount, status = EXCLUDED.status, "
                                   "imp_uid = EXCLUDED.imp_uid, "
                                   "fail_reason = EXCLUDED.fail_reason, "
                                   "iamport = EXCLUDED.iamport, updated_at = now() "
                                   "WHERE payments.kind = 'issue'",
                                   8},
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
                             "iamport = $5::jsonb, updated_at = now() WHERE merchant_uid = $1 "
                             "AND status IN ('requested', 'unknown') RETURNING merchant_uid",
                             5},
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
};

const struct db_statement *db_statement(enum db_stmt id)
{
    if ((int)id < 0 || id >= STMT_COUNT)
        return NULL;
    return &statements[id];
}
