-- Chain resets: the chain each signer submits to, known by its genesis block's hash. A
-- development chain restarted without its state has none of the relayer's transactions; when the
-- hash changes, every batch confirmed or finalized on the old chain is pending again, and its
-- recorded transaction is sent again on the new one.
CREATE TABLE signer_chains (
    signer  TEXT PRIMARY KEY,
    genesis BLOB NOT NULL
);
