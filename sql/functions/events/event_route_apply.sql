-- hewer.event_route_apply(event_ids[], workflow_ids[], filter_ids[], filter_versions[], errors[], now?)
--   -> (ord, run_id, created)
--
-- Records the router's decisions, in one transaction: each element is an
-- (event, workflow, filter) pair whose filter matched (error NULL: a run of
-- the workflow starts with the event's payload as input) or could not be
-- evaluated (error set: recorded, no run). A pair already recorded is left
-- as it was and returns created = false: hewer.event_matches' primary key is
-- what makes a redelivered message (after a router died before its ack)
-- start no second run. Runs carry the idempotency key
-- 'event:<event_id>:<filter_id>', and start as the event's tenant.
--
-- Locks: inserts only (a concurrent apply of the same pair waits for the
-- first to commit). NOTIFY: hewer_ready, through run_trigger.
-- Errors: HW007 bad arrays; run_trigger's errors.
CREATE OR REPLACE FUNCTION hewer.event_route_apply(
    p_event_ids uuid[],
    p_workflow_ids uuid[],
    p_filter_ids uuid[],
    p_filter_versions integer[],
    p_errors text[],
    p_now timestamptz DEFAULT now())
RETURNS TABLE (ord integer, run_id uuid, created boolean)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_new integer[];
    v_done integer[] := '{}'::integer[];
    v_runs uuid[] := '{}'::uuid[];
    v_group record;
    v_ids uuid[];
BEGIN
    PERFORM hewer._batch_len('event_route_apply', p_event_ids,
        ARRAY[cardinality(p_workflow_ids), cardinality(p_filter_ids),
              cardinality(p_filter_versions), cardinality(p_errors)]);
    PERFORM hewer._require_now('event_route_apply', p_now);

    -- The pairs recorded now (not before): only these start runs.
    WITH req AS (
        SELECT u.* FROM unnest(p_event_ids, p_workflow_ids, p_filter_ids, p_filter_versions, p_errors)
             WITH ORDINALITY AS u(event_id, workflow_id, filter_id, fv, err, i)
    ), ins AS (
        INSERT INTO hewer.event_matches (tenant_id, event_id, workflow_id, filter_id, filter_version,
                                         error, created_at)
        SELECT e.tenant_id, r.event_id, r.workflow_id, r.filter_id, r.fv, r.err, p_now
        FROM req r JOIN hewer.events e ON e.id = r.event_id
        ORDER BY r.i
        ON CONFLICT DO NOTHING
        RETURNING event_id, workflow_id, filter_id
    )
    SELECT array_agg(r.i::integer ORDER BY r.i) INTO v_new
    FROM req r
    JOIN ins ON ins.event_id = r.event_id AND ins.workflow_id = r.workflow_id
            AND ins.filter_id = r.filter_id;

    -- One run_trigger call per (tenant, workflow), as that tenant.
    FOR v_group IN
        SELECT e.tenant_id, w.name, array_agg(u.i ORDER BY u.i) AS idx,
               array_agg(e.payload ORDER BY u.i) AS inputs,
               array_agg('event:' || p_event_ids[u.i] || ':' || p_filter_ids[u.i] ORDER BY u.i) AS keys
        FROM unnest(v_new) AS u(i)
        JOIN hewer.events e ON e.id = p_event_ids[u.i]
        JOIN hewer.workflows w ON w.id = p_workflow_ids[u.i]
        WHERE p_errors[u.i] IS NULL
        GROUP BY e.tenant_id, w.name
    LOOP
        v_ids := ARRAY(SELECT t.run_id
                       FROM hewer._run_trigger(v_group.tenant_id, v_group.name, v_group.inputs, NULL,
                                               v_group.keys, p_now, NULL) t
                       ORDER BY t.ord);
        UPDATE hewer.event_matches m SET run_id = x.run_id
        FROM unnest(v_group.idx, v_ids) AS x(i, run_id)
        WHERE m.event_id = p_event_ids[x.i] AND m.workflow_id = p_workflow_ids[x.i]
          AND m.filter_id = p_filter_ids[x.i];
        v_done := v_done || v_group.idx;
        v_runs := v_runs || v_ids;
    END LOOP;

    RETURN QUERY
    SELECT u.i::integer, coalesce(d.run_id, m.run_id), u.i = ANY (coalesce(v_new, '{}'))
    FROM unnest(p_event_ids, p_workflow_ids, p_filter_ids) WITH ORDINALITY AS u(e, w, f, i)
    LEFT JOIN unnest(v_done, v_runs) AS d(i, run_id) ON d.i = u.i
    LEFT JOIN hewer.event_matches m ON m.event_id = u.e AND m.workflow_id = u.w AND m.filter_id = u.f
    ORDER BY u.i;
END
$$;
