-- The queue's depth, kept by triggers: the proofs whose status is 'queued', counted without a scan.
-- Intake reads it (and takes SQLite's write lock with it) in every group commit to hold the
-- queue's bound exactly; a COUNT(*) there cost a scan of the queue per commit, which halved the
-- intake rate with thousands queued. Triggers, not the relayer's code, keep it: every statement
-- that moves a proof into or out of 'queued', from any program, moves the count with it.
CREATE TABLE queue_depth (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    queued INTEGER NOT NULL
);
INSERT INTO queue_depth (id, queued) SELECT 1, COUNT(*) FROM proofs WHERE status = 'queued';

CREATE TRIGGER proofs_queue_depth_insert AFTER INSERT ON proofs WHEN NEW.status = 'queued'
BEGIN
    UPDATE queue_depth SET queued = queued + 1 WHERE id = 1;
END;

CREATE TRIGGER proofs_queue_depth_delete AFTER DELETE ON proofs WHEN OLD.status = 'queued'
BEGIN
    UPDATE queue_depth SET queued = queued - 1 WHERE id = 1;
END;

CREATE TRIGGER proofs_queue_depth_update AFTER UPDATE OF status ON proofs
WHEN (OLD.status = 'queued') <> (NEW.status = 'queued')
BEGIN
    UPDATE queue_depth SET queued = queued + (NEW.status = 'queued') - (OLD.status = 'queued') WHERE id = 1;
END;
