-- hewer.run_logs(run_id, after?, limit?) -> (log_id, task_id, step, attempt, level, message,
--                                            logged_at, written_at)
--
-- The log lines of one run's tasks (hewer.task_log), oldest first (line id
-- order), at most limit (1 to 10,000; default 1,000) of them. after: a line
-- id, exclusive; NULL = from the first line. Line ids are UUIDv7 made when a
-- line is written, so a transaction that commits late can add a line whose
-- id sorts before one already read: a follower that must not miss any
-- re-reads a little behind its cursor and skips the ids it has seen (as
-- `hewer runs logs --follow` does). written_at is the server's time of
-- writing; logged_at the worker's. Read-only, no locks. Runs of other
-- tenants (or unknown runs) return nothing. Errors: HW007 limit out of range.
CREATE OR REPLACE FUNCTION hewer.run_logs(
    p_run_id uuid, p_after uuid DEFAULT NULL, p_limit integer DEFAULT 1000)
RETURNS TABLE (log_id uuid, task_id uuid, step text, attempt integer, level text, message text,
               logged_at timestamptz, written_at timestamptz)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
BEGIN
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
        RAISE EXCEPTION 'run_logs: limit must be between 1 and 10000, got %', coalesce(p_limit::text, 'NULL')
            USING ERRCODE = 'HW007', HINT = 'Page through longer logs with after => the last line id read.';
    END IF;
    RETURN QUERY
    SELECT l.id, l.task_id, t.step, l.attempt, l.level, l.message, l.logged_at,
           hewer.uuid_time(l.id)
    FROM hewer.task_logs l
    JOIN hewer.tasks t ON t.id = l.task_id AND t.tenant_id = l.tenant_id
    WHERE l.run_id = p_run_id AND l.tenant_id = hewer.current_tenant()
      AND l.id >= hewer.uuid_floor(hewer.uuid_time(p_run_id))
      AND (p_after IS NULL OR l.id > p_after)
      AND t.run_id = p_run_id AND t.id >= hewer.uuid_floor(hewer.uuid_time(p_run_id))
    ORDER BY l.id
    LIMIT p_limit;
END
$$;
