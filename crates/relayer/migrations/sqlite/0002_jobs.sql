-- The proving service's jobs (`zkbatch serve`, crates/service/src/jobs.rs), in the relayer's
-- database so that a proved job with `submit` enters the relay queue (`proofs`) in the same
-- transaction that records its proof. One migration history per database: the schema of both
-- lives here.
--
-- A job moves queued → proving (leased to one node until lease_expires_ms; `attempts` counts the
-- leases and fences results: a node writes only while the row still carries its lease) → proved
-- or failed. A lease that expires (its node died) puts the job back, or fails it after
-- max_attempts.
CREATE TABLE jobs (
    id               TEXT PRIMARY KEY,
    circuit          TEXT NOT NULL,
    input            TEXT NOT NULL,
    input_hash       BLOB NOT NULL,
    submit           INTEGER NOT NULL DEFAULT 0,
    client_id        TEXT UNIQUE,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_expires_ms INTEGER,
    error            TEXT,
    proof            TEXT,
    public           TEXT,
    report           TEXT,
    proof_key        BLOB,
    created_ms       INTEGER NOT NULL,
    started_ms       INTEGER,
    finished_ms      INTEGER
);
CREATE INDEX jobs_queue ON jobs(status, created_ms);
CREATE INDEX jobs_lease ON jobs(lease_owner);
