-- hewer.run_spawn(task_id, attempt, workflow, inputs[], child_keys[]?, metadata[]?, now?)
--   -> (ord, run_id, created)
--
-- A running task starts child runs of `workflow` (dynamic fan-out): one per
-- input, on the workflow's current version, exactly like run_trigger, plus a
-- link to the parent (runs.parent_run_id, parent_task_id). Fenced like a
-- task report: (task_id, attempt) must be the task's current attempt, still
-- assigned or running, and its run still queued or running.
--
-- child_keys: NULL or one per input (NULL element = no key). A key makes the
-- spawn idempotent per (parent run, child workflow, key): a retried parent
-- (a later attempt, or the same attempt calling again) gets the child made
-- the first time back, with created = false, and no second child. Without a
-- key every call makes new children.
-- metadata: NULL or one per input; each child's additional_metadata is its
-- parent's with these tags merged over it.
--
-- Cancelling or failing the parent run cancels its unfinished children
-- (hewer._run_children_cancel). Awaiting a child is reading it: run_get, or
-- LISTEN hewer_run_done.
-- Locks: the parent's run, then its task (the fence), then as run_trigger.
-- NOTIFY as run_trigger.
-- Errors: HW005/HW006 as a task report (unknown task, attempt not current),
-- HW091 the parent run is no longer active, HW007 bad arrays, HW090 bad
-- metadata, and run_trigger's (HW003 unknown workflow, HW004, HW010, HW021).
CREATE OR REPLACE FUNCTION hewer.run_spawn(
    p_task_id uuid,
    p_attempt integer,
    p_workflow text,
    p_inputs jsonb[],
    p_child_keys text[] DEFAULT NULL,
    p_metadata jsonb[] DEFAULT NULL,
    p_now timestamptz DEFAULT now())
RETURNS TABLE (ord integer, run_id uuid, created boolean)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_n integer;
    v_parent hewer.runs;
    v_fence record;
    v_keys text[];
    v_meta jsonb[];
    v_ords integer[];
    v_ids uuid[];
    v_created boolean[];
BEGIN
    v_n := hewer._batch_len('run_spawn', p_inputs,
        ARRAY[coalesce(cardinality(p_child_keys), cardinality(p_inputs)),
              coalesce(cardinality(p_metadata), cardinality(p_inputs))]);
    PERFORM hewer._require_now('run_spawn', p_now);
    IF p_task_id IS NULL OR p_attempt IS NULL THEN
        RAISE EXCEPTION 'run_spawn: task_id and attempt must not be NULL'
            USING ERRCODE = 'HW007', HINT = 'Pass the spawning task''s id and its current attempt.';
    END IF;
    SELECT * INTO v_fence
    FROM hewer._task_fence('run_spawn', ARRAY[p_task_id], ARRAY[p_attempt], true, true);
    SELECT * INTO v_parent FROM hewer.runs r WHERE r.id = v_fence.run_id;
    IF v_parent.status NOT IN ('queued', 'running') THEN
        RAISE EXCEPTION 'run_spawn: run % of task % is %, so it spawns no children',
            v_parent.id, p_task_id, v_parent.status
            USING ERRCODE = 'HW091',
                  HINT = 'Children are spawned only while the parent run is active; the task should stop.';
    END IF;
    PERFORM hewer._check_metadata('run_spawn', p_metadata);
    IF v_n = 0 THEN
        RETURN;
    END IF;

    -- The child key becomes an idempotency key scoped by the parent run.
    v_keys := ARRAY(SELECT CASE WHEN u.k IS NOT NULL THEN 'hewer.child:' || v_parent.id || ':' || u.k END
                    FROM unnest(coalesce(p_child_keys, array_fill(NULL::text, ARRAY[v_n])))
                         WITH ORDINALITY AS u(k, i) ORDER BY u.i);
    v_meta := ARRAY(SELECT v_parent.additional_metadata || coalesce(u.m, '{}')
                    FROM unnest(coalesce(p_metadata, array_fill(NULL::jsonb, ARRAY[v_n])))
                         WITH ORDINALITY AS u(m, i) ORDER BY u.i);

    -- Two statements: the UPDATE must see the rows run_trigger inserted.
    SELECT array_agg(t.ord ORDER BY t.ord), array_agg(t.run_id ORDER BY t.ord),
           array_agg(t.created ORDER BY t.ord)
    INTO v_ords, v_ids, v_created
    FROM hewer.run_trigger(p_workflow, p_inputs, NULL, v_keys, p_now, v_meta) t;
    UPDATE hewer.runs r SET parent_run_id = v_parent.id, parent_task_id = p_task_id
    FROM unnest(v_ids, v_created) AS u(id, created)
    WHERE r.id = u.id AND u.created;

    RETURN QUERY SELECT u.o, u.id, u.c FROM unnest(v_ords, v_ids, v_created) AS u(o, id, c) ORDER BY u.o;
END
$$;
