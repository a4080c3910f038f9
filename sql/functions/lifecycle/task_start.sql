-- hewer.task_start(task_ids[], attempts[], strict?, now?, worker_ids?) -> (ord, task_id, attempt, accepted, reason)
--
-- A worker reports that it began running assigned tasks: assigned -> running.
-- Reporting the start of a task already running is accepted and changes
-- nothing. Fenced by (task_id, attempt), and by the reporting worker when
-- worker_ids (one per task) is given: a report for a task held by another
-- worker is rejected (reason not_owner). See hewer._task_fence.
-- Locks: the tasks (id order). Errors (strict): HW005, HW006, HW007.
CREATE OR REPLACE FUNCTION hewer.task_start(
    p_task_ids uuid[], p_attempts integer[], p_strict boolean DEFAULT true,
    p_now timestamptz DEFAULT now(), p_worker_ids uuid[] DEFAULT NULL)
RETURNS TABLE (ord integer, task_id uuid, attempt integer, accepted boolean, reason text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
    PERFORM hewer._require_now('task_start', p_now);
    RETURN QUERY
    WITH fence AS MATERIALIZED (
        SELECT * FROM hewer._task_fence('task_start', p_task_ids, p_attempts, p_strict, false, p_worker_ids)
    ), started AS (
        UPDATE hewer.tasks t SET status = 'running', started_at = p_now
        FROM fence f
        WHERE f.ok AND t.id = f.task_id AND t.status = 'assigned'
        RETURNING t.tenant_id, t.id, t.run_id, t.attempt, t.worker_id
    ), logged AS (
        INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, worker_id, created_at)
        SELECT s.tenant_id, hewer.uuidv7(), s.id, s.run_id, s.attempt, 'started', 'running', s.worker_id, p_now
        FROM started s
    )
    SELECT f.ord, f.task_id, f.attempt, f.ok, f.reason FROM fence f ORDER BY f.ord;
END
$$;
