-- hewer.run_get(run_ids[]) -> one row per run found, with its tasks
--
-- The state of runs: status, input, error, timestamps, and `tasks`, a JSON
-- array of {task_id, step, action, status, attempt, max_attempts, output,
-- error, worker_id, queued_at, started_at, finished_at, cancel_requested,
-- served} in step order; `served` (queued tasks only, else null) says whether
-- an active worker registered the task's action: false means it waits for a
-- worker that may never come. `output` is {"step": output} of the run's succeeded tasks.
-- parent_run_id, parent_task_id: the run and task that spawned it (hewer.run_spawn),
-- NULL for a run started otherwise.
-- Read-only, no locks. Runs of other tenants are not returned.
CREATE OR REPLACE FUNCTION hewer.run_get(p_run_ids uuid[])
RETURNS TABLE (run_id uuid, workflow text, version integer, status hewer.run_status, input jsonb,
               output jsonb, error jsonb, priority integer, created_at timestamptz,
               started_at timestamptz, finished_at timestamptz, tasks jsonb,
               parent_run_id uuid, parent_task_id uuid)
LANGUAGE sql STABLE
AS $$
    SELECT r.id, w.name, v.version, r.status, r.input,
           (SELECT coalesce(jsonb_object_agg(t.step, t.output), '{}') FROM hewer.tasks t
            WHERE t.run_id = r.id AND t.id >= hewer.uuid_floor(hewer.uuid_time(r.id)) AND t.status = 'succeeded'),
           r.error, r.priority, r.created_at, r.started_at, r.finished_at,
           (SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'task_id', t.id, 'step', t.step, 'action', t.action, 'status', t.status,
                       'attempt', t.attempt, 'max_attempts', t.max_attempts, 'output', t.output,
                       'error', t.error, 'worker_id', t.worker_id, 'queued_at', t.queued_at,
                       'started_at', coalesce(t.started_at, t.assigned_at), 'finished_at', t.finished_at,
                       'cancel_requested', t.cancel_requested,
                       -- A queued task: whether a live worker serves its action (false: it
                       -- waits for one that may never come). null for the other statuses.
                       'served', CASE WHEN t.status = 'queued' THEN EXISTS (
                           SELECT 1 FROM hewer.workers wk
                           WHERE wk.tenant_id = r.tenant_id AND wk.status = 'active'
                             AND t.action = ANY (wk.actions)) END) ORDER BY s.ordinal), '[]')
            FROM hewer.tasks t JOIN hewer.steps s ON s.version_id = r.version_id AND s.name = t.step
            WHERE t.run_id = r.id AND t.id >= hewer.uuid_floor(hewer.uuid_time(r.id))),
           r.parent_run_id, r.parent_task_id
    FROM unnest(p_run_ids) WITH ORDINALITY AS u(id, i)
    JOIN hewer.runs r ON r.id = u.id AND r.tenant_id = hewer.current_tenant()
    JOIN hewer.workflows w ON w.id = r.workflow_id
    JOIN hewer.workflow_versions v ON v.id = r.version_id
    ORDER BY u.i
$$;
