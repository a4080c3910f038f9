-- Migration 15: the analytics feed. Every statement that writes task events
-- also puts one message on the pgmq queue hewer_olap, in the same
-- transaction, carrying what the analytics store needs of those events; the
-- feeder (pydispatch/olap.py) moves them into hewer_olap, on this database
-- or another (docs/history.md). The hot path pays one queue
-- insert per statement, never per event, and never waits for the store.
--
-- Append-only: never edit this file once it has been applied anywhere.

DO $$ BEGIN PERFORM pgmq.create('hewer_olap'); END $$;

-- A statement-level trigger: the statement's new task events, as one
-- message. Only what the store keeps: ids, times, the kind and status, the
-- worker, and of data the cause, the error's type and a retry's time.
CREATE FUNCTION hewer._olap_capture()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_events jsonb;
BEGIN
    SELECT jsonb_agg(jsonb_build_object(
               'id', e.id, 'tenant_id', e.tenant_id, 'task_id', e.task_id, 'run_id', e.run_id,
               'attempt', e.attempt, 'kind', e.kind, 'status', e.status,
               'worker_id', e.worker_id, 'created_at', e.created_at,
               'cause', e.data ->> 'cause',
               'error_type', CASE WHEN jsonb_typeof(e.data -> 'error') = 'object'
                                  THEN left(e.data -> 'error' ->> 'type', 200) END,
               'retry_at', e.data ->> 'retry_at') ORDER BY e.id)
    INTO v_events
    FROM new_events e;
    IF v_events IS NOT NULL THEN
        PERFORM pgmq.send('hewer_olap', jsonb_build_object('events', v_events));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER olap_capture AFTER INSERT ON hewer.task_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION hewer._olap_capture();

UPDATE hewer.meta SET schema_version = 15;
