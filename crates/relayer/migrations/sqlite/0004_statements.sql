-- Each proof's statement: keccak256 of its verifying key's hash and its public inputs
-- (`EvmProof::statement`). Groth16 proofs are malleable and re-randomisable, so one statement has
-- many valid proofs, each with its own proof key; the queue keeps one live proof per statement
-- (a failed one does not count: a statement whose proof failed may be posted again). Rows from
-- before this migration have none and are not deduplicated.
ALTER TABLE proofs ADD COLUMN statement_key BLOB;
CREATE UNIQUE INDEX proofs_statement ON proofs(statement_key) WHERE status <> 'failed';
