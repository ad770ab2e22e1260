-- The relayer's first schema, exactly as it stood before migrations: proofs, batches and their
-- transactions. IF NOT EXISTS: a database made before migrations already has these tables, and
-- running this on it records it as migrated without touching a row.
CREATE TABLE IF NOT EXISTS proofs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    proof_key   BLOB NOT NULL UNIQUE,
    circuit     TEXT NOT NULL,
    data        BLOB NOT NULL,
    status      TEXT NOT NULL,
    batch_id    INTEGER,
    reverts     INTEGER NOT NULL DEFAULT 0,
    claimed_by  TEXT,
    error       TEXT,
    received_ms INTEGER NOT NULL,
    final_ms    INTEGER
);
CREATE INDEX IF NOT EXISTS proofs_queue ON proofs(status, circuit, id);
CREATE INDEX IF NOT EXISTS proofs_batch ON proofs(batch_id);
CREATE TABLE IF NOT EXISTS batches (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    circuit     TEXT NOT NULL,
    mode        TEXT NOT NULL,
    signer      TEXT NOT NULL,
    nonce       INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    status      TEXT NOT NULL,
    tx_hash     BLOB,
    block       INTEGER,
    gas_used    INTEGER,
    created_ms  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_status ON batches(status);
CREATE TABLE IF NOT EXISTS txs (
    hash        BLOB PRIMARY KEY,
    batch_id    INTEGER NOT NULL,
    nonce       INTEGER NOT NULL,
    raw         BLOB NOT NULL,
    max_fee     TEXT NOT NULL,
    priority_fee TEXT NOT NULL,
    broadcast   INTEGER NOT NULL DEFAULT 0,
    attempt     INTEGER NOT NULL,
    created_ms  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS txs_batch ON txs(batch_id);
