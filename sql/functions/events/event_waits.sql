-- hewer.event_waits_read(event_ids[])
--   -> (event_id, task_id, key, payload, metadata, expression, input)
--
-- For the router: the tasks waiting for these events, across tenants: event
-- waits of the event's tenant whose key pattern matches the event's key and
-- that began before the event was pushed, with the CEL expression to check
-- (NULL: any such event will do) and the run's input it may refer to.
-- Locks: none.
CREATE OR REPLACE FUNCTION hewer.event_waits_read(p_event_ids uuid[])
RETURNS TABLE (event_id uuid, task_id uuid, key text, payload jsonb, metadata jsonb,
               expression text, input jsonb)
LANGUAGE sql STABLE
AS $$
    SELECT e.id, w.task_id, e.key, e.payload, e.metadata, w.expression, r.input
    FROM hewer.events e
    JOIN hewer.task_waits w
      ON w.tenant_id = e.tenant_id AND w.status = 'waiting' AND w.kind = 'event'
     AND w.created_at <= e.created_at AND hewer._event_key_matches(w.event_key, e.key)
    JOIN hewer.runs r ON r.id = w.run_id
    WHERE e.id = ANY (p_event_ids)
    ORDER BY e.id, w.task_id;
$$;

-- hewer.event_waits_apply(task_ids[], event_ids[], errors[], now?) -> tasks released
--
-- For the router: each element is a waiting task and the event that
-- satisfied its wait (error NULL: the task is queued) or whose evaluation
-- failed (error: recorded in hewer.task_waits.error, the task keeps
-- waiting). A task already released is left alone.
-- Locks: see hewer._wait_release. Errors: HW007 bad arrays.
CREATE OR REPLACE FUNCTION hewer.event_waits_apply(
    p_task_ids uuid[], p_event_ids uuid[], p_errors text[], p_now timestamptz DEFAULT now())
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_ok uuid[];
    v_ev uuid[];
BEGIN
    PERFORM hewer._batch_len('event_waits_apply', p_task_ids,
                             ARRAY[cardinality(p_event_ids), cardinality(p_errors)]);
    PERFORM hewer._require_now('event_waits_apply', p_now);
    UPDATE hewer.task_waits w SET error = u.err
    FROM unnest(p_task_ids, p_errors) AS u(id, err)
    WHERE w.task_id = u.id AND u.err IS NOT NULL AND w.status = 'waiting';
    SELECT array_agg(u.id), array_agg(u.ev) INTO v_ok, v_ev
    FROM unnest(p_task_ids, p_event_ids, p_errors) AS u(id, ev, err) WHERE u.err IS NULL;
    IF v_ok IS NULL THEN
        RETURN 0;
    END IF;
    RETURN hewer._wait_release(v_ok, v_ev, p_now);
END
$$;
