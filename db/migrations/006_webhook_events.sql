-- iamport webhooks: every delivery is recorded before it is answered, then settled by a worker
-- that re-fetches the payment from iamport (the body is only a hint).
-- iamport 웹훅: 모든 수신을 응답 전에 기록하고, 워커가 iamport에서 결제를 다시 조회해 반영한다 (본문은 힌트일 뿐).
CREATE TABLE webhook_events (
    id bigserial PRIMARY KEY,
    imp_uid text NOT NULL CHECK (char_length(imp_uid) BETWEEN 1 AND 32),
    merchant_uid text NOT NULL CHECK (char_length(merchant_uid) BETWEEN 1 AND 40),
    claimed_status text,                              -- the body's status: a hint, never trusted
    received_at timestamptz NOT NULL DEFAULT now(),
    source_addr text,                                 -- the sender's address, as billkeyd saw it
    state text NOT NULL DEFAULT 'received'
        CHECK (state IN ('received', 'processing', 'done', 'ignored', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    lease_until timestamptz NOT NULL DEFAULT now(),   -- not claimable before; a crashed claim expires
    claim uuid,                                       -- new on every claim: only its holder finishes
    result text,                                      -- what the last attempt came to
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The worker's queue: open events by when they may be claimed.
CREATE INDEX webhook_events_open ON webhook_events (lease_until)
    WHERE state IN ('received', 'processing');
CREATE INDEX webhook_events_imp_uid ON webhook_events (imp_uid);
