-- The relayer's first schema, exactly as it stood before migrations: proofs, batches and their
-- transactions. IF NOT EXISTS: a database made before migrations already has these tables, and
-- running this on it records it as migrated without touching a row.
CREATE TABLE IF NOT EXISTS proofs (
    id          BIGSERIAL PRIMARY KEY,
    proof_key   BYTEA NOT NULL UNIQUE,
    circuit     TEXT NOT NULL,
    data        BYTEA NOT NULL,
    status      TEXT NOT NULL,
    batch_id    BIGINT,
    reverts     BIGINT NOT NULL DEFAULT 0,
    claimed_by  TEXT,
    error       TEXT,
    received_ms BIGINT NOT NULL,
    final_ms    BIGINT
);
CREATE INDEX IF NOT EXISTS proofs_queue ON proofs(status, circuit, id);
CREATE INDEX IF NOT EXISTS proofs_batch ON proofs(batch_id);
CREATE TABLE IF NOT EXISTS batches (
    id          BIGSERIAL PRIMARY KEY,
    circuit     TEXT NOT NULL,
    mode        TEXT NOT NULL,
    signer      TEXT NOT NULL,
    nonce       BIGINT NOT NULL,
    size        BIGINT NOT NULL,
    status      TEXT NOT NULL,
    tx_hash     BYTEA,
    block       BIGINT,
    gas_used    BIGINT,
    created_ms  BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_status ON batches(status);
CREATE TABLE IF NOT EXISTS txs (
    hash        BYTEA PRIMARY KEY,
    batch_id    BIGINT NOT NULL,
    nonce       BIGINT NOT NULL,
    raw         BYTEA NOT NULL,
    max_fee     TEXT NOT NULL,
    priority_fee TEXT NOT NULL,
    broadcast   BIGINT NOT NULL DEFAULT 0,
    attempt     BIGINT NOT NULL,
    created_ms  BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS txs_batch ON txs(batch_id);
