-- hewer.task_claim(worker_id, limit, now?) -> assignments
--
-- Claims up to `limit` ready tasks for a worker, among the actions it
-- registered, highest priority first and FIFO within a priority, and never
-- more than the worker's free slots. Each claimed task becomes 'assigned' to
-- the worker with attempt + 1 and a lease (timeout_at = now + the step's
-- execution timeout); the worker must report with that (task_id, attempt).
-- Returns the run input and the parents' outputs ({"step": output, ...}).
--
-- Locks: the worker row (claims for one worker run one at a time), queue rows FOR UPDATE SKIP LOCKED, then their tasks, and the runs
-- it marks running only with SKIP LOCKED: a claim never waits on another
-- transaction, so any number of claimers run side by side. Writers that
-- remove queue rows (cancel, fail) delete them before touching the tasks.
-- Errors: HW007 bad limit, HW008 unknown worker. A worker that is not
-- 'active' (draining, stopped, dead) gets nothing.
CREATE OR REPLACE FUNCTION hewer.task_claim(
    p_worker_id uuid, p_limit integer, p_now timestamptz DEFAULT now())
RETURNS TABLE (task_id uuid, attempt integer, run_id uuid, workflow text, step text, action text,
               input jsonb, parents jsonb, priority integer, timeout_at timestamptz)
LANGUAGE plpgsql VOLATILE
-- Right after a bulk trigger, before hewer.queue is analyzed, the planner thinks the
-- queue is tiny and bitmap-scans every ready row and sorts them instead of walking
-- queue_claim_idx under the LIMIT: 42 to 84 ms per claim of 50 with 100,000 queued,
-- 7 to 8 ms with bitmap scans off (docs/benchmarks.md).
SET enable_bitmapscan = off
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := hewer.current_tenant();
    v_worker hewer.workers;
    v_free integer;
BEGIN
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
        RAISE EXCEPTION 'task_claim: limit must be from 1 to 10000, got %', coalesce(p_limit::text, 'NULL')
            USING ERRCODE = 'HW007';
    END IF;
    PERFORM hewer._require_now('task_claim', p_now);
    -- The worker's row lock serializes claims for one worker, so that two
    -- concurrent claims cannot both see the same free slots.
    SELECT * INTO v_worker FROM hewer.workers w WHERE w.id = p_worker_id AND w.tenant_id = v_tenant
    FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task_claim: worker % does not exist', coalesce(p_worker_id::text, 'NULL')
            USING ERRCODE = 'HW008', HINT = 'Register the worker with hewer.worker_register(...) first.';
    END IF;
    IF v_worker.status <> 'active' THEN
        RETURN;
    END IF;
    SELECT v_worker.slots - count(*) INTO v_free FROM hewer.tasks t
    WHERE t.worker_id = p_worker_id AND t.status IN ('assigned', 'running');
    IF v_free <= 0 THEN
        RETURN;
    END IF;

    RETURN QUERY
    WITH picked AS (
        -- One index range scan per action (queue_claim_idx), merged: a plain
        -- `action = ANY (...)` would read and sort the whole backlog.
        SELECT c.id, c.task_id
        FROM unnest(v_worker.actions) AS a(action)
        CROSS JOIN LATERAL (
            SELECT q.id, q.task_id, q.priority
            FROM hewer.queue q
            WHERE q.tenant_id = v_tenant AND q.action = a.action AND q.ready_at <= p_now
            ORDER BY q.priority DESC, q.id
            LIMIT least(p_limit, v_free)
            FOR UPDATE SKIP LOCKED
        ) c
        ORDER BY c.priority DESC, c.id
        LIMIT least(p_limit, v_free)
    ), taken AS (
        DELETE FROM hewer.queue q USING picked p WHERE q.id = p.id
        RETURNING q.id AS queue_id, q.task_id
    ), assigned AS (
        UPDATE hewer.tasks t
        SET status = 'assigned', attempt = t.attempt + 1, worker_id = p_worker_id,
            assigned_at = p_now, started_at = NULL, timeout_at = p_now + t.execution_timeout,
            error = NULL
        FROM taken k
        WHERE t.id = k.task_id AND t.status = 'queued'
        RETURNING t.id, t.attempt, t.run_id, t.step, t.action, t.parent_ids, t.priority,
                  t.timeout_at, k.queue_id
    ), run_lock AS (
        SELECT r.id FROM hewer.runs r
        WHERE r.id IN (SELECT a.run_id FROM assigned a) AND r.status = 'queued'
        FOR UPDATE SKIP LOCKED
    ), run_started AS (
        UPDATE hewer.runs r SET status = 'running', started_at = p_now
        FROM run_lock l WHERE r.id = l.id
    ), logged AS (
        INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, worker_id, created_at)
        SELECT v_tenant, hewer.uuidv7(), a.id, a.run_id, a.attempt, 'assigned', 'assigned', p_worker_id, p_now
        FROM assigned a
    )
    SELECT a.id, a.attempt, a.run_id, w.name, a.step, a.action, r.input,
           CASE WHEN cardinality(a.parent_ids) = 0 THEN '{}'::jsonb
                ELSE (SELECT coalesce(jsonb_object_agg(p.step, p.output), '{}')
                      FROM hewer.tasks p WHERE p.id = ANY (a.parent_ids)) END,
           a.priority, a.timeout_at
    FROM assigned a
    JOIN hewer.runs r ON r.id = a.run_id
    JOIN hewer.workflows w ON w.id = r.workflow_id
    ORDER BY a.priority DESC, a.queue_id;
END
$$;
