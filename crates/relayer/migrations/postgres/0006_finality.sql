-- Finality: a confirmed batch is checked again until it is `finality_depth` blocks deep, and is
-- then `finalized` (its proofs too). The block's hash is kept to tell the block it was confirmed
-- in from another block at the same height after a reorg. Rows confirmed before this migration
-- have none: they are compared by receipt alone.
ALTER TABLE batches ADD COLUMN block_hash BYTEA;
