-- Failed refunds, and (below) the merchant token getToken answers.
-- A failed refund: a tampered payment took money and its cancel failed. The registration stays
-- pending (nothing else retries the cancel) and refund_due_at, on its row of the reconciler's
-- queue (registrations_pending, 011), says since when the money is owed, so the reconciler
-- retries it from its next pass instead of after the registration grace, and the backlog counts
-- it on its own. The queue row goes when the registration moves on; the registration.refund_due
-- audit row stays as the history.
-- 환불 실패: 변조된 결제가 돈을 받았는데 취소가 실패한 경우. 등록은 pending으로 남고 리컨실러 대기열
-- (registrations_pending, 011)의 행에 적힌 refund_due_at은 언제부터 돌려줄 돈인지를 말한다. reconciler는
-- 등록 유예 시간이 아니라 다음 회차부터 다시 취소를 시도하고, 백로그는 이것을 따로 센다. 대기열 행은
-- 등록이 다음 상태로 가면 지워지고, registration.refund_due 감사 기록이 이력으로 남는다.
ALTER TABLE registrations_pending ADD COLUMN refund_due_at timestamptz;

-- The reconciler's refund queue: only rows that owe a refund (rare).
CREATE INDEX registrations_pending_refund_due ON registrations_pending (reconcile_after)
    WHERE refund_due_at IS NOT NULL;

-- POST /users/getToken answers the same merchant token until its last minute, as iamport does:
-- the current expiry per API key name. The token is derived from the key, its name and this
-- expiry, so no token (nor anything secret) is stored.
-- POST /users/getToken은 iamport처럼 만료 1분 전까지 같은 토큰을 돌려준다: API 키 이름마다 현재 만료
-- 시각. 토큰은 키와 이름과 이 만료 시각에서 만들어지므로 토큰(비밀 값)은 저장하지 않는다.
CREATE TABLE merchant_token_expiry (
    key_name text PRIMARY KEY,
    expires_at bigint NOT NULL
);
