-- hewer.task_heartbeat(task_ids[], attempts[], extend_by?, strict?, now?, worker_ids?)
--   -> (ord, task_id, attempt, accepted, reason, timeout_at)
--
-- Extends the lease of assigned or running tasks: timeout_at becomes
-- now + extend_by (default: the step's execution timeout), never earlier
-- than it was. A task whose lease expires is reaped (hewer.reap) and retried.
-- Fenced by (task_id, attempt), and by the reporting worker when worker_ids
-- (one per task) is given: a report for a task held by another worker is
-- rejected (reason not_owner). Fenced. Locks: the tasks (id order).
-- Errors: HW007 extend_by not positive; strict: HW005, HW006, HW007.
CREATE OR REPLACE FUNCTION hewer.task_heartbeat(
    p_task_ids uuid[], p_attempts integer[], p_extend_by interval DEFAULT NULL,
    p_strict boolean DEFAULT true, p_now timestamptz DEFAULT now(),
    p_worker_ids uuid[] DEFAULT NULL)
RETURNS TABLE (ord integer, task_id uuid, attempt integer, accepted boolean, reason text,
               timeout_at timestamptz)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
    PERFORM hewer._require_now('task_heartbeat', p_now);
    IF p_extend_by IS NOT NULL AND (p_extend_by <= interval '0' OR p_extend_by > interval '7 days') THEN
        RAISE EXCEPTION 'task_heartbeat: extend_by must be between 0 and 7 days, got %', p_extend_by
            USING ERRCODE = 'HW007';
    END IF;
    RETURN QUERY
    WITH fence AS MATERIALIZED (
        SELECT * FROM hewer._task_fence('task_heartbeat', p_task_ids, p_attempts, p_strict, false, p_worker_ids)
    ), extended AS (
        UPDATE hewer.tasks t
        SET timeout_at = greatest(t.timeout_at, p_now + coalesce(p_extend_by, t.execution_timeout))
        FROM fence f
        WHERE f.ok AND t.id = f.task_id
        RETURNING t.id, t.timeout_at
    )
    SELECT f.ord, f.task_id, f.attempt, f.ok, f.reason, e.timeout_at
    FROM fence f LEFT JOIN extended e ON e.id = f.task_id
    ORDER BY f.ord;
END
$$;
