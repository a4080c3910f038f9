-- hewer._run_children_cancel(run_ids[], now) -> number of child runs cancelled
--
-- The cancel cascade: the unfinished (queued or running) child runs of runs
-- that have just become cancelled or failed are cancelled too, with error
-- {"type": "parent", "parent_run_id", "parent_status", "message"}; their
-- own children follow, recursively, through hewer._runs_cancel ->
-- hewer._run_cancel_tasks -> here. Children of a run that succeeds keep
-- running. Called by _run_cancel_tasks (so by run_cancel, the concurrency
-- cancel strategies and every path that fails a run).
-- Locks: each parent's children, in id order (children are younger than
-- their parent, so their ids sort after it). NOTIFYs as _runs_cancel.
CREATE OR REPLACE FUNCTION hewer._run_children_cancel(p_run_ids uuid[], p_now timestamptz)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_group record;
    v_count integer := 0;
BEGIN
    FOR v_group IN
        SELECT c.parent_run_id, p.status, array_agg(c.id ORDER BY c.id) AS ids
        FROM hewer.runs c JOIN hewer.runs p ON p.id = c.parent_run_id
        WHERE c.parent_run_id = ANY (p_run_ids) AND c.status IN ('queued', 'running')
        GROUP BY c.parent_run_id, p.status
        ORDER BY c.parent_run_id
    LOOP
        v_count := v_count + cardinality(hewer._runs_cancel(v_group.ids,
            jsonb_build_object('type', 'parent', 'parent_run_id', v_group.parent_run_id,
                               'parent_status', v_group.status,
                               'message', format('cancelled because its parent run %s was %s',
                                                 v_group.parent_run_id, v_group.status)),
            p_now));
    END LOOP;
    RETURN v_count;
END
$$;
