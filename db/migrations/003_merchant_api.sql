-- The merchant API: charges and schedules through the merchant_uid ledger, replayable
-- Idempotency-Key answers, and an audit trail nobody can rewrite.
-- 가맹점 API: merchant_uid 원장을 거치는 결제와 예약, Idempotency-Key 응답 재생, 고칠 수 없는 감사 기록.

-- payments: every merchant_uid billkey sends upstream, written before the call.
--   not_sent   nothing reached iamport (refused connection, no token): the same merchant_uid may
--              be tried again;
--   scheduled  a schedule iamport accepted, not run yet; revoked: unscheduled before it ran.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('requested', 'paid', 'failed', 'cancelled', 'unknown', 'not_sent',
                      'scheduled', 'revoked'));
ALTER TABLE payments
    ADD COLUMN created_by text,                       -- API key name, or NULL for issuance
    ADD COLUMN tax_free bigint NOT NULL DEFAULT 0 CHECK (tax_free >= 0),
    ADD COLUMN cancel_amount bigint NOT NULL DEFAULT 0 CHECK (cancel_amount >= 0),
    ADD COLUMN request jsonb,                         -- what was sent upstream (no card data)
    ADD CHECK (tax_free <= amount);

-- One row per booked future charge; its merchant_uid is claimed in payments first.
CREATE TABLE schedules (
    merchant_uid text PRIMARY KEY REFERENCES payments (merchant_uid),
    customer_uid text NOT NULL,
    schedule_at bigint NOT NULL,                      -- UNIX seconds
    amount bigint NOT NULL CHECK (amount > 0),
    name text,
    schedule_status text NOT NULL DEFAULT 'requested'
        CHECK (schedule_status IN ('requested', 'scheduled', 'executed', 'revoked', 'not_sent',
                                   'unknown', 'refused')),
    payment_status text CHECK (payment_status IN ('paid', 'failed', 'cancelled')),
    imp_uid text,
    fail_reason text,
    executed_at bigint NOT NULL DEFAULT 0,
    revoked_at bigint NOT NULL DEFAULT 0,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX schedules_customer_at ON schedules (customer_uid, schedule_at);

-- Idempotency-Key: the first answer to (API key, key) is stored and replayed for the same body.
CREATE TABLE idempotency_keys (
    api_key_name text NOT NULL,
    idempotency_key text NOT NULL CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
    request_hash text NOT NULL,                       -- SHA-256 of method, path and body
    http_status integer,                              -- NULL while the first request runs
    response_body text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_key_name, idempotency_key)
);

-- The audit trail is append-only: no role, billkey's included, may change or remove a row.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
