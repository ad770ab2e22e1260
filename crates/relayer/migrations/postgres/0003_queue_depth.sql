-- The queue's depth, kept by a trigger: the proofs whose status is 'queued', counted without a
-- scan. Intake locks and reads its row in every group commit to hold the queue's bound exactly
-- across instances; a COUNT(*) there cost a scan of the queue per commit, which halved the intake
-- rate with thousands queued. Every change to the depth takes the row's lock until its
-- transaction ends, so a count read under that lock is exact. Moves that leave the depth as it is
-- (batched → submitted → confirmed) do not touch the row, and so never wait for intake.
CREATE TABLE queue_depth (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    queued BIGINT NOT NULL
);
INSERT INTO queue_depth (id, queued) SELECT 1, COUNT(*) FROM proofs WHERE status = 'queued';

CREATE FUNCTION proofs_queue_depth() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta BIGINT := 0;
BEGIN
    -- NEW is null on DELETE and OLD on INSERT: each is read only where it is a row.
    IF TG_OP <> 'DELETE' THEN
        IF NEW.status = 'queued' THEN
            delta := delta + 1;
        END IF;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        IF OLD.status = 'queued' THEN
            delta := delta - 1;
        END IF;
    END IF;
    IF delta <> 0 THEN
        UPDATE queue_depth SET queued = queued + delta WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER proofs_queue_depth AFTER INSERT OR UPDATE OF status OR DELETE ON proofs
FOR EACH ROW EXECUTE FUNCTION proofs_queue_depth();
