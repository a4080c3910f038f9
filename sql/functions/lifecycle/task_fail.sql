-- hewer.task_fail(task_ids[], attempts[], errors[], retryable[]?, strict?, now?, worker_ids?)
--   -> (ord, task_id, attempt, accepted, reason)
--
-- A worker reports tasks failed. errors: any JSON per task (a message
-- string, or {"type", "message", "traceback"}). retryable: NULL or one per
-- task (NULL element = true). A retryable failure with attempts left goes
-- back on the queue after the step's backoff; otherwise the task fails, its
-- run fails, and the run's other unfinished tasks are cancelled (running
-- ones flagged for their workers). See hewer._task_fail_apply.
-- Fenced by (task_id, attempt), and by the reporting worker when worker_ids
-- (one per task) is given: a report for a task held by another worker is
-- rejected (reason not_owner). Fenced. Locks: runs, then tasks (id order), then the
-- queue rows and tasks of cancelled siblings.
-- Errors: HW007 bad arrays, HW010 an error over hewer.max_error_bytes (256 KiB
-- by default); strict: HW005, HW006, HW007.
CREATE OR REPLACE FUNCTION hewer.task_fail(
    p_task_ids uuid[], p_attempts integer[], p_errors jsonb[], p_retryable boolean[] DEFAULT NULL,
    p_strict boolean DEFAULT true, p_now timestamptz DEFAULT now(),
    p_worker_ids uuid[] DEFAULT NULL)
RETURNS TABLE (ord integer, task_id uuid, attempt integer, accepted boolean, reason text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_fence record;
BEGIN
    PERFORM hewer._require_now('task_fail', p_now);
    PERFORM hewer._check_payloads('task_fail', 'error', p_errors);
    PERFORM hewer._batch_len('task_fail', p_task_ids,
        ARRAY[cardinality(p_attempts), cardinality(p_errors),
              coalesce(cardinality(p_retryable), cardinality(p_task_ids))]);
    SELECT array_agg(f.ord ORDER BY f.ord) AS ords, array_agg(f.task_id ORDER BY f.ord) AS ids,
           array_agg(f.attempt ORDER BY f.ord) AS attempts, array_agg(f.ok ORDER BY f.ord) AS oks,
           array_agg(f.reason ORDER BY f.ord) AS reasons
    INTO v_fence
    FROM hewer._task_fence('task_fail', p_task_ids, p_attempts, p_strict, true, p_worker_ids) f;

    PERFORM hewer._task_fail_apply(
        array_agg(u.id), array_agg(u.err), array_agg(coalesce(u.retryable, true)), 'failed', p_now)
    FROM unnest(p_task_ids, p_errors, coalesce(p_retryable, array_fill(NULL::boolean, ARRAY[cardinality(p_task_ids)])),
                v_fence.oks)
         AS u(id, err, retryable, ok)
    WHERE u.ok
    HAVING count(*) > 0;

    RETURN QUERY
    SELECT u.ord, u.id, u.att, u.ok, u.reason
    FROM unnest(v_fence.ords, v_fence.ids, v_fence.attempts, v_fence.oks, v_fence.reasons)
         AS u(ord, id, att, ok, reason);
END
$$;
