/* The single list of SQL statements the service runs, each prepared on every pooled connection. */
#ifndef BILLKEY_DB_STATEMENTS_H
#define BILLKEY_DB_STATEMENTS_H

/* One id per statement; db_exec() takes these, never SQL text. Add a row here and in
 * db/statements.c together. */
/* clang-format off */
enum db_stmt {
    STMT_PING,            /* SELECT 1 */
    STMT_SCHEMA_VERSION,  /* → version (int, 0 when nothing is applied) */
    STMT_AUDIT_INSERT,    /* $1 actor, $2 action, $3 subject|NULL, $4 request_id|NULL,
                             $5 detail JSON text|NULL (= {}) → id */
    /* ---- issuance (002_issuance.sql) ---- */
    STMT_REGISTRATION_INSERT,   /* $1 merchant_uid, $2 customer_uid, $3 customer_id,
                                   $4 pg_provider, $5 pg, $6 pay_method, $7 amount,
                                   $8 window_amount, $9 name, $10 charge_now ('true'|'false'),
                                   $11 buyer_name, $12 buyer_email, $13 buyer_tel (NULL allowed),
                                   $14 created_by; and its registrations_pending row */
    STMT_REGISTRATION_GET,      /* $1 merchant_uid → the registration + its billing key's
                                   card_name, card_number (copied onto it; columns: see
                                   server/billing/registration.c); one row of one table */
    STMT_REGISTRATION_SET_STATUS, /* $1 merchant_uid, $2 status, $3 imp_uid, $4 fail_reason;
                                     only from pending or failed → merchant_uid (0 rows: it
                                     is active or tampered); leaves registrations_pending */
    STMT_BILLING_KEY_INSERT,    /* $1 customer_uid, $2 customer_id, $3 pg_provider, $4 pg,
                                   $5 card_name, $6 card_number, $7 imp_uid (unique): the key,
                                   and its card copied onto the registration */
    STMT_PAYMENT_ISSUE_RECORD,  /* upsert of the kind 'issue' row: $1 merchant_uid (the
                                   registration's), $2 customer_uid, $3 amount, $4 name,
                                   $5 status, $6 imp_uid, $7 fail_reason, $8 iamport JSON text,
                                   $9 cancel_amount (never shrinks) */
    STMT_FIRST_CHARGE_CLAIM,    /* $1 new merchant_uid, $2 customer_uid, $3 registration
                                   merchant_uid, $4 amount, $5 name, $6 request JSON text →
                                   merchant_uid, inserted ('t'; 'f' when a 'not_sent' first
                                   charge was re-claimed under its own merchant_uid), or 0 rows
                                   when the registration already has a first charge */
    STMT_FIRST_PAYMENT_GET,     /* $1 registration merchant_uid → merchant_uid, amount, status,
                                   imp_uid, fail_reason, kind of its 'issue'/'first_charge' row */
    STMT_PAYMENT_SETTLE,        /* $1 merchant_uid, $2 status, $3 imp_uid, $4 fail_reason,
                                   $5 iamport JSON text, $6 cancel_amount (never shrinks); only
                                   from requested/unknown */
    STMT_CUSTOMER_BILLING_KEYS, /* $1 customer_id → one row per billing key (see
                                   server/billing/customer.c for the columns) */
    /* ---- merchant API (003_merchant_api.sql) ---- */
    STMT_BILLING_KEY_GET,       /* $1 customer_uid → customer_uid, customer_id, pg_provider, pg,
                                   card_name, card_number, status, buyer_name, buyer_email,
                                   buyer_tel (server/billing/billing_key.c) */
    STMT_BILLING_KEY_MARK_DELETED, /* $1 customer_uid → customer_uid when an active key was
                                      marked deleted */
    /* ---- Idempotency-Key (003_merchant_api.sql, 005_idempotency_claims.sql) ---- */
    STMT_IDEMPOTENCY_CLAIM,     /* $1 api_key_name, $2 key, $3 request_hash, $4 lease interval
                                   ("10 minutes"): inserts the claim, or takes over one whose
                                   request never finished within the lease → claim (uuid text);
                                   0 rows: the key is taken */
    STMT_IDEMPOTENCY_GET,       /* $1 api_key_name, $2 key → request_hash, http_status (NULL
                                   while running), content_type, response_body */
    STMT_IDEMPOTENCY_FINISH,    /* $1 api_key_name, $2 key, $3 claim, $4 http_status,
                                   $5 content_type, $6 response_body → 1 when stored (0 rows:
                                   the claim was lost) */
    STMT_IDEMPOTENCY_RELEASE,   /* $1 api_key_name, $2 key, $3 claim: deletes the unfinished
                                   claim so that a retry runs again */
    /* ---- schedules (server/billing/schedule_ledger.c) ---- */
    STMT_SCHEDULE_CLAIM,        /* $1 merchant_uid, $2 customer_uid, $3 amount, $4 name,
                                   $5 tax_free, $6 created_by, $7 request JSON text: a new kind
                                   'scheduled' payments row 'requested', or one taken back from
                                   a schedule 'not_sent'/'unknown' → merchant_uid, previous
                                   status (NULL when new); 0 rows when the merchant_uid is used
                                   (payments or registrations) */
    STMT_SCHEDULE_ROW_CLAIM,    /* $1 merchant_uid, $2 customer_uid, $3 schedule_at,
                                   $4 amount, $5 name, $6 created_by: the schedules row,
                                   'requested' (reset when it existed) */
    STMT_SCHEDULE_RECORD,       /* $1 merchant_uid, $2 schedule_status, $3 payment_status,
                                   $4 imp_uid, $5 fail_reason, $6 executed_at, $7 revoked_at,
                                   $8 payments.status, $9 iamport JSON text|NULL: both rows, when
                                   anything differs → merchant_uid (0 rows: unknown or same) */
    /* ---- merchant lookups, cancels, key deletion ---- */
    STMT_PAYMENT_REFRESH,       /* $1 merchant_uid, $2 status (paid|failed|cancelled),
                                   $3 imp_uid, $4 cancel_amount, $5 iamport JSON text: the row
                                   follows iamport (a cancelled row stays cancelled,
                                   cancel_amount never shrinks; not when the row holds another
                                   imp_uid) → status, cancel_amount (0 rows: none to refresh) */
    STMT_SCHEDULE_REVOKE,       /* $1 merchant_uid, $2 revoked_at (UNIX s): a pending schedule
                                   and its payments row become revoked → merchant_uid */
    STMT_AGAIN_CLAIM,           /* $1 merchant_uid, $2 customer_uid, $3 amount, $4 name,
                                   $5 tax_free, $6 created_by, $7 request JSON text, $8 stale
                                   after (ms) → inserted ('t' new row, 'f' a not_sent, unknown
                                   or stale requested 'again' row with the same customer_uid
                                   and amount re-claimed), or 0 rows: the merchant_uid is taken
                                   (any other payments row, or a registration's) */
    STMT_PAYMENT_LEDGER_GET,    /* $1 merchant_uid → kind, status, customer_uid, amount */
    /* ---- iamport webhooks (006_webhook_events.sql) ---- */
    STMT_WEBHOOK_INSERT,        /* $1 imp_uid, $2 merchant_uid, $3 claimed status|NULL,
                                   $4 source address|NULL → id */
    STMT_WEBHOOK_CLAIM,         /* $1 lease (ms): the oldest open event whose lease is over
                                   (FOR UPDATE SKIP LOCKED) becomes 'processing', attempts + 1,
                                   a new claim → id, imp_uid, merchant_uid, claim, attempts
                                   (0 rows: nothing to do) */
    STMT_WEBHOOK_FINISH,        /* $1 id, $2 claim, $3 state (done|ignored|failed|received),
                                   $4 result text, $5 retry after (ms; 'received' only): only
                                   while the claim is held → id (0 rows: the claim was lost) */
    STMT_WEBHOOK_TARGET,        /* $1 merchant_uid → registration (bool), payments kind|NULL,
                                   schedule (bool) */
    STMT_WEBHOOK_PAYMENT_LOCK,  /* $1 merchant_uid → status, cancel_amount, fail_reason of the
                                   payments row, locked FOR UPDATE (0 rows: none) */
    /* ---- verification leases (007_verification_lease.sql) ---- */
    STMT_REGISTRATION_LEASE_TAKE,  /* $1 merchant_uid, $2 lease ms: takes the lease when it is
                                      free or ran out → owner (uuid text); 0 rows: held by
                                      another verification, or no such registration */
    STMT_REGISTRATION_LEASE_CHECK, /* $1 merchant_uid, $2 owner: locks the row FOR UPDATE while
                                      the lease is still owner's → merchant_uid (0 rows: lost) */
    STMT_REGISTRATION_LEASE_DROP,  /* $1 merchant_uid, $2 owner: frees owner's lease */
    /* ---- the reconciler (008_reconciler.sql, server/billing/reconciler*.c) ---- */
    STMT_RECONCILE_REGISTRATION_CLAIM, /* $1 grace (s), $2 lease (ms): the pending registration
                                          (registrations_pending) created before the grace
                                          whose lease is over, and that owes no refund (those
                                          are the refund queue's), (FOR UPDATE SKIP LOCKED) gets
                                          a new lease → merchant_uid (0 rows: nothing to do) */
    STMT_RECONCILE_REGISTRATION_EXPIRE, /* $1 merchant_uid, $2 fail_reason: a pending
                                           registration becomes expired and leaves
                                           registrations_pending → merchant_uid (0 rows: no
                                           longer pending) */
    STMT_RECONCILE_ISSUE_FAIL,  /* $1 merchant_uid, $2 fail_reason: its requested/unknown 'issue'
                                   row becomes failed → merchant_uid (0 rows: none) */
    STMT_RECONCILE_CHARGE_CLAIM, /* $1 grace (s), $2 lease (ms), $3 stale after (ms): a
                                    requested/unknown issue/first_charge/again row untouched for
                                    the grace, lease over (not an 'issue' row of a pending
                                    registration: that is the registration's), gets a new lease
                                    → merchant_uid, kind, amount, stale ('t'/'f') */
    STMT_RECONCILE_SCHEDULE_CLAIM, /* $1 grace (s), $2 lease (ms), $3 stale after (ms): a
                                      schedule without a result whose schedule_at passed the
                                      grace (or requested/unknown and stale), lease over, gets a
                                      new lease → merchant_uid, schedule_status, stale */
    STMT_RECONCILE_WEBHOOK_REQUEUE, /* $1 failed for (ms), $2 attempts: the oldest event 'failed'
                                       that long becomes 'received' with that attempt count →
                                       id, imp_uid, merchant_uid (0 rows: none) */
    STMT_RECONCILE_REGISTRATION_RETRY, /* $1 merchant_uid, $2 delay (ms), $3 shortest delay (ms):
                                          looked at again after $2; one owing a refund after its
                                          age (a doubling back-off) clamped to [$3, $2] */
    STMT_RECONCILE_CHARGE_RETRY,       /* $1 merchant_uid, $2 delay (ms): looked at again then */
    STMT_RECONCILE_SCHEDULE_RETRY,     /* $1 merchant_uid, $2 delay (ms): looked at again then */
    STMT_RECONCILE_IDEMPOTENCY_PURGE, /* $1 keep (s), $2 batch: deletes up to $2 of the oldest
                                         Idempotency-Key rows older than $1 */
    /* ---- the common verification in one statement ---- */
    STMT_REGISTRATION_ACTIVATE, /* $1 merchant_uid, $2 imp_uid, $3 card_name, $4 card_number,
                                   $5 actor, $6 request_id|NULL, $7 audit detail (json): a
                                   pending registration without charge_now whose lease is free
                                   (or run out) becomes active with imp_uid, its lease cleared,
                                   plus its billing_keys row and its registration.active audit
                                   row, in one statement → merchant_uid (0 rows: nothing
                                   written, take the leased path). HOT: it changes no indexed
                                   column of registrations (011_hot_activation.sql) */
    /* ---- group commit (db/batch.c): array twins of single-row statements ---- */
    STMT_REGISTRATION_GET_BATCH, /* $1 merchant_uid[] → item (1-based position in $1), then
                                    STMT_REGISTRATION_GET's columns: one row per item whose
                                    registration exists (a merchant_uid repeated in $1 gets a
                                    row per item) */
    STMT_REGISTRATION_ACTIVATE_BATCH, /* $1..$7 text[]: STMT_REGISTRATION_ACTIVATE's parameters,
                                         one element per item → item, merchant_uid per
                                         registration activated; per row the same conditional
                                         UPDATE, billing_keys row and audit row; a merchant_uid
                                         repeated in $1 is tried once, by its first item */
    /* ---- the reconciler's backlog, for /readyz and /metrics (012_refund_due_token_expiry.sql) ---- */
    STMT_BACKLOG,               /* $1 registration grace (s), $2 charge grace (s), $3 schedule
                                   grace (s), $4 stale after (ms) → per kind (registration,
                                   refund, charge, schedule, webhook) its pending count (waiting
                                   for an outcome, whatever its age) then its overdue count (past
                                   its grace: what the reconciler claims), then the webhook lag
                                   (s since the oldest received|processing event, 0): 11 columns
                                   (server/billing/reconciler_backlog.c) */
    /* ---- failed refunds (012_refund_due_token_expiry.sql) ---- */
    STMT_REGISTRATION_REFUND_DUE, /* $1 merchant_uid: a pending registration owes a refund since
                                     now (kept when it did already; due for the reconciler at
                                     once the first time) → 't' when this marked it first (0
                                     rows: not pending) */
    STMT_RECONCILE_REFUND_CLAIM,  /* $1 grace (s, 0), $2 lease (ms): the pending registration
                                     owing a refund whose lease is over (FOR UPDATE SKIP LOCKED)
                                     gets a new lease → merchant_uid (0 rows: nothing to do) */
    /* ---- POST /users/getToken (012_refund_due_token_expiry.sql) ---- */
    STMT_MERCHANT_TOKEN_EXPIRY, /* $1 key name, $2 now (UNIX s), $3 lifetime (s), $4 renew within
                                   (s): the stored expiry while more than $4 of it is left, else
                                   $2 + $3 (stored) → expires_at (0 rows: lost a race to insert
                                   it: another instance just did) */
    STMT_COUNT
};
/* clang-format on */

struct db_statement {
    const char *name; /* the prepared statement's name on the server */
    const char *sql;  /* fixed text with $1..$nparams placeholders */
    int nparams;
};

/* Returns the statement with that id (static storage, never freed), or NULL when the id is
 * out of range. */
const struct db_statement *db_statement(enum db_stmt id);

#endif
