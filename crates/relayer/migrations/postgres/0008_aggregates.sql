-- Aggregates: N queued proofs of a circuit in `aggregate` mode, claimed by an aggregate worker
-- under a lease (its proofs are then 'aggregating'), proved in one halo2 proof, and submitted by
-- the relay role to AggregatedProofRegistry as a batch of mode 'aggregate'. A worker that dies
-- leaves its lease to expire: the proofs go back to the queue and are aggregated again. An
-- aggregate that cannot be proved or is refused on-chain marks its proofs `aggregate_failed`: they
-- are then batch-verified like any other circuit's.
--   status: proving → ready → submitting → submitted, or expired, or failed.
CREATE TABLE aggregates (
    id             BIGSERIAL PRIMARY KEY,
    circuit        TEXT NOT NULL,
    status         TEXT NOT NULL,
    worker         TEXT NOT NULL,
    lease_until_ms BIGINT NOT NULL,
    calldata       BYTEA,
    error          TEXT,
    created_ms     BIGINT NOT NULL,
    proved_ms      BIGINT
);
CREATE INDEX aggregates_status ON aggregates(status, id);
ALTER TABLE proofs ADD COLUMN aggregate_id BIGINT;
ALTER TABLE proofs ADD COLUMN aggregate_failed BIGINT NOT NULL DEFAULT 0;
