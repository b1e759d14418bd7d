-- The reconciler: when each row may next be looked at (a lease stamped by the instance that claims
-- it with FOR UPDATE SKIP LOCKED), and 'expired' for registrations iamport never saw completed.
-- 리컨실러: 각 행을 다음에 볼 수 있는 시각(FOR UPDATE SKIP LOCKED로 가져간 인스턴스가 찍는 임대)과,
-- iamport에서 끝내 완료되지 않은 등록의 'expired' 상태.

-- expired: still pending after RECONCILE_REGISTRATION_GRACE_S and iamport has no completed
-- payment for it (none at all, or one still 'ready'). A late verification may still complete it.
ALTER TABLE registrations DROP CONSTRAINT registrations_status_check;
ALTER TABLE registrations ADD CONSTRAINT registrations_status_check
    CHECK (status IN ('pending', 'active', 'failed', 'tampered', 'expired'));

ALTER TABLE registrations ADD COLUMN reconcile_after timestamptz NOT NULL DEFAULT now();
ALTER TABLE payments ADD COLUMN reconcile_after timestamptz NOT NULL DEFAULT now();
ALTER TABLE schedules ADD COLUMN reconcile_after timestamptz NOT NULL DEFAULT now();

-- The reconciler's queues: only rows that may need it.
CREATE INDEX registrations_reconcile ON registrations (reconcile_after, created_at)
    WHERE status = 'pending';
CREATE INDEX payments_reconcile ON payments (reconcile_after, updated_at)
    WHERE status IN ('requested', 'unknown');
CREATE INDEX schedules_reconcile ON schedules (reconcile_after, schedule_at)
    WHERE payment_status IS NULL AND schedule_status IN ('requested', 'scheduled', 'unknown');
CREATE INDEX webhook_events_failed ON webhook_events (updated_at) WHERE state = 'failed';
