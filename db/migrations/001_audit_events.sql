-- The audit trail: who did what to which subject, for every state change the service makes.
-- 감사 기록: 결제와 빌링키의 모든 상태 변경마다 한 줄.
CREATE TABLE audit_events (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    action text NOT NULL,
    subject text,
    request_id text,
    detail jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_events_subject_at ON audit_events (subject, at);
