-- hewer.task_log(task_ids[], attempts[], levels[], messages[], logged_at[]?, worker_ids[]?)
--   -> (ord, accepted, reason)
--
-- Writes log lines of task attempts, one per array element, for
-- hewer.run_logs and `hewer runs logs` to read back. The dispatcher calls it
-- for the log lines workers send up their streams; a worker in any language
-- may call it directly.
--
-- A line is accepted when its task exists in this tenant and the attempt is
-- the task's current one, and (when worker_ids is given) the task is
-- assigned to that worker. The attempt may already be finished: a line sent
-- just before the completion still lands. Otherwise reason is unknown_task,
-- stale_attempt or not_owner, and the line is not written (the others are).
--
-- level: debug, info, warning (or warn), error, critical (or fatal), in any
-- case; anything else, or NULL, is info. A message over 16,384 characters
-- is cut there and says how much was cut. logged_at (NULL: now) is the
-- worker's time, shown to readers; the line's id, which orders and places
-- it, is the server's time of writing.
--
-- Locks: none (tasks are read, not locked). Errors: HW007 when the arrays
-- differ in length or hold more than 1,000 lines.
CREATE OR REPLACE FUNCTION hewer.task_log(
    p_task_ids uuid[], p_attempts integer[], p_levels text[], p_messages text[],
    p_logged_at timestamptz[] DEFAULT NULL, p_worker_ids uuid[] DEFAULT NULL)
RETURNS TABLE (ord integer, accepted boolean, reason text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := hewer.current_tenant();
    v_n integer;
    v_base timestamptz := clock_timestamp();
    v_max constant integer := 16384;
BEGIN
    v_n := hewer._batch_len('task_log', p_task_ids,
        ARRAY[cardinality(p_attempts), cardinality(p_levels), cardinality(p_messages),
              coalesce(cardinality(p_logged_at), cardinality(p_task_ids)),
              coalesce(cardinality(p_worker_ids), cardinality(p_task_ids))]);
    IF v_n > 1000 THEN
        RAISE EXCEPTION 'task_log: % lines in one call, at most 1000 are allowed', v_n
            USING ERRCODE = 'HW007', HINT = 'Send the lines in several calls of up to 1000.';
    END IF;
    RETURN QUERY
    WITH req AS (
        SELECT u.i::integer AS ord, u.task_id, u.attempt, u.worker_id,
               CASE pg_catalog.lower(u.level)
                   WHEN 'debug' THEN 'debug' WHEN 'warning' THEN 'warning' WHEN 'warn' THEN 'warning'
                   WHEN 'error' THEN 'error' WHEN 'critical' THEN 'critical' WHEN 'fatal' THEN 'critical'
                   ELSE 'info' END AS level,
               coalesce(u.message, '') AS message,
               CASE WHEN u.logged_at IS NULL OR NOT isfinite(u.logged_at) THEN pg_catalog.now()
                    ELSE u.logged_at END AS logged_at
        FROM unnest(p_task_ids, p_attempts, p_levels, p_messages,
                    coalesce(p_logged_at, array_fill(NULL::timestamptz, ARRAY[v_n])),
                    coalesce(p_worker_ids, array_fill(NULL::uuid, ARRAY[v_n])))
             WITH ORDINALITY AS u(task_id, attempt, level, message, logged_at, worker_id, i)
    ), judged AS (
        SELECT q.*, t.run_id,
               CASE WHEN t.id IS NULL THEN 'unknown_task'
                    WHEN t.attempt IS DISTINCT FROM q.attempt THEN 'stale_attempt'
                    WHEN q.worker_id IS NOT NULL AND q.worker_id IS DISTINCT FROM t.worker_id THEN 'not_owner'
               END AS reason
        FROM req q
        LEFT JOIN hewer.tasks t ON t.id = q.task_id AND t.tenant_id = v_tenant
    ), written AS (
        INSERT INTO hewer.task_logs (tenant_id, id, run_id, task_id, attempt, worker_id, level,
                                     message, logged_at)
        SELECT v_tenant, hewer.uuidv7(v_base + (j.ord - 1) * interval '1 microsecond'), j.run_id,
               j.task_id, j.attempt, j.worker_id, j.level,
               CASE WHEN pg_catalog.length(j.message) > v_max
                    THEN pg_catalog.left(j.message, v_max)
                         || pg_catalog.format(' [cut: %s more characters]', pg_catalog.length(j.message) - v_max)
                    ELSE j.message END,
               j.logged_at
        FROM judged j
        WHERE j.reason IS NULL
        RETURNING 1
    )
    SELECT j.ord, j.reason IS NULL, j.reason FROM judged j ORDER BY j.ord;
END
$$;
