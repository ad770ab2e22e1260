-- Aggregates: N queued proofs of a circuit in `aggregate` mode, claimed by an aggregate worker
-- under a lease (its proofs are then 'aggregating'), proved in one halo2 proof, and submitted by
-- the relay role to AggregatedProofRegistry as a batch of mode 'aggregate'. A worker that dies
-- leaves its lease to expire: the proofs go back to the queue and are aggregated again.
-- A queued proof's lane says who takes it: NULL (undecided: the aggregate workers for a circuit in
-- aggregate mode, the relay for the others), 'aggregate' (the relay chose aggregation for it in
-- auto mode), 'relay' (its aggregate failed to prove or was refused on-chain: batch-verified).
-- aggregate_nodes: each aggregate node's last sign of life and last proving time per circuit, which
-- auto mode weighs.
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
ALTER TABLE proofs ADD COLUMN lane TEXT;
CREATE TABLE aggregate_nodes (
    node      TEXT NOT NULL,
    circuit   TEXT NOT NULL,
    seen_ms   BIGINT NOT NULL,
    prove_ms  BIGINT,
    PRIMARY KEY (node, circuit)
);
