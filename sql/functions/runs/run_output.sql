-- hewer.run_output(run_id, after?, task_id?, limit?) -> (chunk_id, task_id, step, attempt, seq,
--                                                        chunk, written_at)
--
-- The streamed output of one run's tasks (hewer.task_stream; ctx.stream in
-- the Python SDK), oldest first (chunk id order), at most limit (1 to 10,000;
-- default 1,000) chunks. after: a chunk id, exclusive; NULL = from the first.
-- task_id narrows to one task's chunks (all its attempts). Within an
-- attempt, seq orders the chunks as the worker sent them. Chunk ids are
-- UUIDv7 made when a chunk is written, so a transaction that commits late
-- can add a chunk whose id sorts before one already read: a follower that
-- must not miss any re-reads a little behind its cursor and skips the ids it
-- has seen (the SDKs and the HTTP API do). Read-only, no locks. Runs of other
-- tenants (or unknown runs) return nothing. Errors: HW007 limit out of range.
CREATE OR REPLACE FUNCTION hewer.run_output(
    p_run_id uuid, p_after uuid DEFAULT NULL, p_task_id uuid DEFAULT NULL,
    p_limit integer DEFAULT 1000)
RETURNS TABLE (chunk_id uuid, task_id uuid, step text, attempt integer, seq bigint, chunk text,
               written_at timestamptz)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
BEGIN
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
        RAISE EXCEPTION 'run_output: limit must be between 1 and 10000, got %', coalesce(p_limit::text, 'NULL')
            USING ERRCODE = 'HW007', HINT = 'Page through longer output with after => the last chunk id read.';
    END IF;
    RETURN QUERY
    SELECT s.id, s.task_id, t.step, s.attempt, s.seq, s.chunk, hewer.uuid_time(s.id)
    FROM hewer.task_streams s
    JOIN hewer.tasks t ON t.id = s.task_id AND t.tenant_id = s.tenant_id
    WHERE s.run_id = p_run_id AND s.tenant_id = hewer.current_tenant()
      AND s.id >= hewer.uuid_floor(hewer.uuid_time(p_run_id))
      AND (p_after IS NULL OR s.id > p_after)
      AND (p_task_id IS NULL OR s.task_id = p_task_id)
      AND t.run_id = p_run_id AND t.id >= hewer.uuid_floor(hewer.uuid_time(p_run_id))
    ORDER BY s.id
    LIMIT p_limit;
END
$$;
