-- Verification leases: a verification claims its registration in one short transaction, calls
-- iamport with no connection or lock held, and commits the outcome only while its lease is still
-- its own. A crashed holder's lease runs out and the next verification takes over.
-- 검증 임대: 검증은 짧은 트랜잭션으로 등록 건을 점유하고, 커넥션이나 잠금 없이 iamport를 호출한 뒤,
-- 임대가 아직 자기 것일 때만 결과를 기록한다. 죽은 보유자의 임대는 만료되어 다음 검증이 이어받는다.
ALTER TABLE registrations
    ADD COLUMN verify_lease_owner text,        -- a random uuid per verification; NULL when free
    ADD COLUMN verify_lease_until timestamptz; -- free again after this, whoever held it
