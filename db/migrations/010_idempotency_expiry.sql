-- Idempotency-Key answers expire (IDEMPOTENCY_KEEP_HOURS): the reconciler deletes the oldest in
-- batches, which this index keeps cheap.
-- Idempotency-Key 응답은 만료된다(IDEMPOTENCY_KEEP_HOURS): reconciler가 오래된 것부터 묶음으로 지우며, 이 인덱스가 그 비용을 낮춘다.
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
