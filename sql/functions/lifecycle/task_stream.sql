-- hewer.task_stream(task_ids[], attempts[], seqs[], chunks[], worker_ids[]?)
--   -> (ord, accepted, reason)
--
-- Writes chunks of task attempts' output streams (ctx.stream), one per array
-- element, for hewer.run_output and the clients that follow a run's output.
-- The dispatcher calls it for the chunks workers send up their streams; a
-- worker in any language may call it directly.
--
-- A chunk is accepted when its task exists in this tenant, the attempt is
-- the task's current one, and (when worker_ids is given) the task is assigned
-- to that worker; the attempt may already be finished, so a chunk sent just
-- before the completion still lands. seq is the chunk's number in its
-- attempt's stream, from 1: a chunk whose (task, attempt, seq) is already
-- stored is accepted with reason duplicate and not written again (a worker
-- resends what was not acknowledged when it reconnects). Otherwise reason is
-- unknown_task, stale_attempt, not_owner, bad_seq (seq < 1) or too_large (a
-- chunk over 65,536 characters), and the chunk is not written (the others are).
-- Subscribers are told with one NOTIFY on hewer_output.
--
-- Locks: none (tasks are read, not locked). Errors: HW007 when the arrays
-- differ in length or hold more than 1,000 chunks.
CREATE OR REPLACE FUNCTION hewer.task_stream(
    p_task_ids uuid[], p_attempts integer[], p_seqs bigint[], p_chunks text[],
    p_worker_ids uuid[] DEFAULT NULL)
RETURNS TABLE (ord integer, accepted boolean, reason text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := hewer.current_tenant();
    v_n integer;
    v_base timestamptz := clock_timestamp();
    v_max constant integer := 65536;
    v_ords integer[];
    v_reasons text[];
    v_runs uuid[];
BEGIN
    v_n := hewer._batch_len('task_stream', p_task_ids,
        ARRAY[cardinality(p_attempts), cardinality(p_seqs), cardinality(p_chunks),
              coalesce(cardinality(p_worker_ids), cardinality(p_task_ids))]);
    IF v_n > 1000 THEN
        RAISE EXCEPTION 'task_stream: % chunks in one call, at most 1000 are allowed', v_n
            USING ERRCODE = 'HW007', HINT = 'Send the chunks in several calls of up to 1000.';
    END IF;
    WITH req AS (
        SELECT u.i::integer AS ord, u.task_id, u.attempt, u.seq, coalesce(u.chunk, '') AS chunk,
               u.worker_id
        FROM unnest(p_task_ids, p_attempts, p_seqs, p_chunks,
                    coalesce(p_worker_ids, array_fill(NULL::uuid, ARRAY[v_n])))
             WITH ORDINALITY AS u(task_id, attempt, seq, chunk, worker_id, i)
    ), judged AS (
        SELECT q.*, t.run_id,
               CASE WHEN t.id IS NULL THEN 'unknown_task'
                    WHEN t.attempt IS DISTINCT FROM q.attempt THEN 'stale_attempt'
                    WHEN q.worker_id IS NOT NULL AND q.worker_id IS DISTINCT FROM t.worker_id THEN 'not_owner'
                    WHEN q.seq IS NULL OR q.seq < 1 THEN 'bad_seq'
                    WHEN pg_catalog.length(q.chunk) > v_max THEN 'too_large'
                    WHEN EXISTS (SELECT 1 FROM hewer.task_streams s
                                 WHERE s.task_id = q.task_id AND s.attempt = q.attempt
                                   AND s.seq = q.seq AND s.tenant_id = v_tenant)
                         THEN 'duplicate'
               END AS reason,
               -- the first of equal (task, attempt, seq) in this call is the one written
               pg_catalog.row_number() OVER (PARTITION BY q.task_id, q.attempt, q.seq ORDER BY q.ord) AS nth
        FROM req q
        LEFT JOIN hewer.tasks t ON t.id = q.task_id AND t.tenant_id = v_tenant
    ), written AS (
        INSERT INTO hewer.task_streams (tenant_id, id, run_id, task_id, attempt, seq, chunk)
        SELECT v_tenant, hewer.uuidv7(v_base + (j.ord - 1) * interval '1 microsecond'), j.run_id,
               j.task_id, j.attempt, j.seq, j.chunk
        FROM judged j
        WHERE j.reason IS NULL AND j.nth = 1
        RETURNING run_id
    )
    SELECT array_agg(j.ord ORDER BY j.ord),
           array_agg(CASE WHEN j.reason IS NULL AND j.nth > 1 THEN 'duplicate' ELSE j.reason END
                     ORDER BY j.ord),
           (SELECT array_agg(DISTINCT w.run_id) FROM written w)
    INTO v_ords, v_reasons, v_runs
    FROM judged j;
    PERFORM hewer._notify_output(v_runs);
    RETURN QUERY
    SELECT u.ord, u.reason IS NULL OR u.reason = 'duplicate', u.reason
    FROM unnest(v_ords, v_reasons) AS u(ord, reason)
    ORDER BY u.ord;
END
$$;
