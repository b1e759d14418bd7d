-- A verification's writes made cheap: the activation UPDATE of a registration changes no indexed
-- column (so it is HOT: no index entry is written), and a replay reads one row of one table.
-- 검증의 쓰기 비용 줄이기: 등록 건을 활성화하는 UPDATE가 인덱스된 열을 바꾸지 않아 HOT 갱신이 되고
-- (인덱스 항목을 쓰지 않음), 재요청은 한 테이블의 한 행만 읽는다.

-- The reconciler's queue of pending registrations, moved out of registrations: a row exists
-- exactly while its registration is 'pending' (inserted with the registration, deleted by the
-- statement that moves it on). It replaces the partial index registrations_reconcile, whose
-- predicate named status, and registrations.reconcile_after.
CREATE TABLE registrations_pending (
    merchant_uid text PRIMARY KEY,
    created_at timestamptz NOT NULL,                  -- the registration's
    reconcile_after timestamptz NOT NULL DEFAULT now() -- the reconciler's lease
);
CREATE INDEX registrations_pending_due ON registrations_pending (reconcile_after, created_at);
INSERT INTO registrations_pending (merchant_uid, created_at, reconcile_after)
    SELECT merchant_uid, created_at, reconcile_after FROM registrations WHERE status = 'pending';
DROP INDEX registrations_reconcile;
ALTER TABLE registrations DROP COLUMN reconcile_after;

-- imp_uid is unique where it is written once: on the billing key a payment issued. A registration
-- still records the imp_uid that made it active, failed or tampered, without an index (nothing
-- looks a registration up by imp_uid; a payment's merchant_uid names its one registration).
ALTER TABLE billing_keys ADD COLUMN imp_uid text UNIQUE;
UPDATE billing_keys b SET imp_uid = r.imp_uid
    FROM registrations r WHERE r.customer_uid = b.customer_uid AND r.status = 'active';
ALTER TABLE registrations DROP CONSTRAINT registrations_imp_uid_key;

-- The card of the registration's billing key, copied when the key is recorded (billing_keys never
-- changes them), so that reading a registration is one row of one table.
ALTER TABLE registrations ADD COLUMN card_name text, ADD COLUMN card_number text;
UPDATE registrations r SET card_name = b.card_name, card_number = b.card_number
    FROM billing_keys b WHERE b.customer_uid = r.customer_uid;

-- billing_keys.customer_uid is always taken from the registration row the same statement (or
-- transaction) has just updated; the foreign key's per-row check is dropped.
ALTER TABLE billing_keys DROP CONSTRAINT billing_keys_customer_uid_fkey;

-- A table's CHECK constraints are parsed and planned again by every statement that inserts or
-- updates a row, and all of them run on every UPDATE, whichever columns it sets. The per-column
-- rules of registrations and billing_keys become domains instead: checked when a value is
-- written to that column, so the activation UPDATE checks only its new status. Same rules, same
-- SQLSTATE (23514) for a value that breaks one.
CREATE DOMAIN billkey_merchant_uid AS text CHECK (char_length(VALUE) BETWEEN 1 AND 40);
CREATE DOMAIN billkey_customer_uid AS text CHECK (char_length(VALUE) BETWEEN 1 AND 80);
CREATE DOMAIN billkey_customer_id AS text CHECK (char_length(VALUE) BETWEEN 1 AND 64);
CREATE DOMAIN billkey_pg_provider AS text
    CHECK (VALUE IN ('payco', 'kakaopay', 'kicc', 'chai', 'naverpay'));
CREATE DOMAIN billkey_won AS bigint CHECK (VALUE >= 0);
CREATE DOMAIN billkey_registration_status AS text
    CHECK (VALUE IN ('pending', 'active', 'failed', 'tampered', 'expired'));
CREATE DOMAIN billkey_key_status AS text CHECK (VALUE IN ('active', 'deleted'));
ALTER TABLE registrations
    DROP CONSTRAINT registrations_merchant_uid_check,
    DROP CONSTRAINT registrations_customer_uid_check,
    DROP CONSTRAINT registrations_customer_id_check,
    DROP CONSTRAINT registrations_pg_provider_check,
    DROP CONSTRAINT registrations_amount_check,
    DROP CONSTRAINT registrations_window_amount_check,
    DROP CONSTRAINT registrations_status_check,
    ALTER COLUMN merchant_uid TYPE billkey_merchant_uid,
    ALTER COLUMN customer_uid TYPE billkey_customer_uid,
    ALTER COLUMN customer_id TYPE billkey_customer_id,
    ALTER COLUMN pg_provider TYPE billkey_pg_provider,
    ALTER COLUMN amount TYPE billkey_won,
    ALTER COLUMN window_amount TYPE billkey_won,
    ALTER COLUMN status TYPE billkey_registration_status;
ALTER TABLE billing_keys
    DROP CONSTRAINT billing_keys_status_check,
    ALTER COLUMN status TYPE billkey_key_status;

-- Nothing looks registrations up by customer_id (a customer's keys are found in billing_keys).
DROP INDEX registrations_customer_id;

-- Room on each page for the new version of every row on it, so that it stays on its page (HOT)
-- even when the page's registrations are all completed in a burst, before the old versions can
-- be pruned (pgbench, 32 clients activating consecutive rows: 58% HOT at 80, 84% at 60, 97% at
-- 50). Applies to pages written from now on.
ALTER TABLE registrations SET (fillfactor = 50);
