-- Idempotency-Key claims: the replayed answer's content type, and a claim id so that only the
-- request that holds a key can store its answer or give the key up.
-- Idempotency-Key 점유: 재생할 응답의 content type과, 키를 가진 요청만 응답을 저장하거나 놓을 수 있게 하는 점유 id.
ALTER TABLE idempotency_keys
    ADD COLUMN content_type text,                     -- NULL while the first request runs
    ADD COLUMN claim uuid NOT NULL DEFAULT gen_random_uuid(); -- new on every (re)claim
