-- A client's own name for a submission (`client_id` in `POST /v1/proofs`): at most one proof per
-- name, so a retry never stores a second entry and the same name with another proof is refused.
-- NULL (no name given) repeats freely.
ALTER TABLE proofs ADD COLUMN client_id TEXT;
CREATE UNIQUE INDEX proofs_client_id ON proofs(client_id);
