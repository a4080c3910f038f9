-- hewer.schedule_fire(now?, limit?, max_failures?, backoff?) -> (schedule_id, run_id)
--
-- Starts the scheduled runs that are due (run_at <= now), across tenants,
-- each as its own tenant, and marks them started. Exactly once: due rows are
-- taken FOR UPDATE SKIP LOCKED and marked in the same transaction, and the
-- runs carry the idempotency key 'schedule:<id>'.
--
-- One bad schedule never stops the others: each group of runs (one tenant's
-- schedules of one workflow) starts in a subtransaction, and when that
-- fails, its schedules start one by one. A schedule that fails (its input is
-- over the tenant's payload limit, lacks a concurrency key, ...) is recorded
-- with hewer.item_failed: retried with backoff, then quarantined (see
-- hewer.quarantine_list); one over its tenant's trigger rate (HW094) just
-- waits for the time the hint names. Schedules held that way are skipped.
--
-- Locks: the due rows. NOTIFY: hewer_ready, via run_trigger.
-- Errors: HW007 NULL now or limit not from 1 to 10000.
CREATE OR REPLACE FUNCTION hewer.schedule_fire(
    p_now timestamptz DEFAULT now(), p_limit integer DEFAULT 1000,
    p_max_failures integer DEFAULT 5, p_backoff interval DEFAULT '5 seconds')
RETURNS TABLE (schedule_id uuid, run_id uuid)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_group record;
    v_ids uuid[];
    v_runs uuid[];
    v_sid uuid[];
    v_rid uuid[];
    v_state text;
    v_message text;
    v_hint text;
BEGIN
    PERFORM hewer._require_now('schedule_fire', p_now);
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'schedule_fire: limit must be from 1 to 10000, got %', p_limit USING ERRCODE = 'HW007';
    END IF;
    FOR v_group IN
        WITH due AS (
            SELECT s.id, s.tenant_id, s.workflow_id, s.input
            FROM hewer.scheduled_runs s
            WHERE s.run_id IS NULL AND s.run_at <= p_now
              AND NOT hewer._item_held('schedule', s.id::text, p_now)
            ORDER BY s.run_at, s.id
            LIMIT p_limit
            FOR UPDATE SKIP LOCKED
        )
        SELECT d.tenant_id, w.name, array_agg(d.id ORDER BY d.id) AS ids,
               array_agg(d.input ORDER BY d.id) AS inputs
        FROM due d JOIN hewer.workflows w ON w.id = d.workflow_id
        GROUP BY d.tenant_id, w.name
    LOOP
        v_sid := NULL;
        BEGIN
            SELECT array_agg(st.sid), array_agg(st.rid) INTO v_sid, v_rid
            FROM hewer._schedule_start(v_group.tenant_id, v_group.name, v_group.ids, v_group.inputs, p_now) st;
        EXCEPTION WHEN OTHERS THEN
            v_sid := NULL;
        END;
        IF v_sid IS NULL THEN
            -- The group failed: one by one, so that only the bad ones wait.
            v_sid := '{}';
            v_rid := '{}';
            FOR v_i IN 1 .. cardinality(v_group.ids) LOOP
                BEGIN
                    SELECT array_agg(st.sid), array_agg(st.rid) INTO v_ids, v_runs
                    FROM hewer._schedule_start(v_group.tenant_id, v_group.name, ARRAY[v_group.ids[v_i]],
                                               ARRAY[v_group.inputs[v_i]], p_now) st;
                    v_sid := v_sid || v_ids;
                    v_rid := v_rid || v_runs;
                EXCEPTION WHEN OTHERS THEN
                    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                            v_hint = PG_EXCEPTION_HINT;
                    PERFORM hewer.item_failed('schedule', v_group.ids[v_i]::text, v_group.tenant_id,
                                              v_state || ': ' || v_message
                                              || coalesce(' (' || nullif(v_hint, '') || ')', ''),
                                              p_max_failures, p_backoff,
                                              p_counts => v_state <> 'HW094', p_now => p_now);
                END;
            END LOOP;
        END IF;
        PERFORM hewer.item_succeeded('schedule', ARRAY(SELECT x::text FROM unnest(v_sid) AS x));
        RETURN QUERY SELECT u.sid, u.rid FROM unnest(v_sid, v_rid) AS u(sid, rid);
    END LOOP;
END
$$;

-- hewer._schedule_start(tenant, workflow, schedule ids, inputs, now) -> (sid, rid)
-- Starts these scheduled runs as their tenant and marks them started.
CREATE OR REPLACE FUNCTION hewer._schedule_start(
    p_tenant uuid, p_workflow text, p_ids uuid[], p_inputs jsonb[], p_now timestamptz)
RETURNS TABLE (sid uuid, rid uuid)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH started AS (
        SELECT p_ids[t.ord] AS sid, t.run_id AS rid
        FROM hewer._run_trigger(p_tenant, p_workflow, p_inputs, NULL,
                                ARRAY(SELECT 'schedule:' || x FROM unnest(p_ids) AS x), p_now, NULL) t
    )
    UPDATE hewer.scheduled_runs s SET run_id = st.rid
    FROM started st WHERE s.id = st.sid
    RETURNING s.id, s.run_id;
END
$$;
