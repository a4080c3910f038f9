-- hewer.run_replay(run_ids[], from?, now?) -> (ord, run_id, replay_run_id, kept, to_run)
--
-- Runs failed or cancelled runs again, each as a NEW run (replay_of = the
-- original) on the original's workflow version, with the same input,
-- priority, limits and metadata (additional_metadata, so hewer.run_list and
-- run_cancel_matching find a replay by the original's tags); the original
-- and its history are never changed.
-- A replay is a root run: the parent link of a child run is NOT copied.
-- The parent awaits the child it spawned (that run id; a retried parent's
-- child key returns the original, never a replay), so a replay linked to it
-- would be a child nobody awaits. And the parent has usually finished by
-- then (a failed child fails the parent awaiting it): run_spawn refuses
-- children to a finished parent (HW091), and the cancel cascade, which runs
-- when a parent is cancelled or fails, would never reach the replay. The
-- way back: replay_of (run_lineage) leads to the original, whose
-- parent_run_id is the parent (run_children lists the original).
-- from 'failed' (default): the steps that succeeded are kept, their tasks
-- created succeeded with the original output (attempt 0, no worker); the
-- other steps run again, those whose parents all succeeded queued at once.
-- from 'start': every step runs again. Each task of the original gets a
-- 'replayed' event naming the replay ({"replay_run_id", "replay_task_id",
-- "from", "kept"}), each task of the replay a 'created' event with
-- {"replay_of": original task, "kept"}. Replay a run as often as you like
-- (a failed replay too). Concurrency strategies are not applied again; the
-- semaphores and rate limits still gate the claims.
--
-- Locks: inserts only (finished runs are immutable). NOTIFY hewer_ready
-- once, hewer_run_done for a replay with nothing left to run.
-- Errors: HW007 NULL array, HW009 unknown run, HW083 a run not failed or
-- cancelled, HW084 bad from.
CREATE OR REPLACE FUNCTION hewer.run_replay(
    p_run_ids uuid[],
    p_from text DEFAULT 'failed',
    p_now timestamptz DEFAULT now())
RETURNS TABLE (ord integer, run_id uuid, replay_run_id uuid, kept integer, to_run integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := hewer.current_tenant();
    v_n integer;
    v_bad record;
    v_new uuid[];
    v_roots uuid[];
    v_done uuid[];
BEGIN
    PERFORM hewer._require_now('run_replay', p_now);
    v_n := hewer._batch_len('run_replay', p_run_ids, '{}');
    -- A replay starts a run: it counts against the tenant's trigger rate.
    PERFORM hewer._tenant_admit('run_replay', v_tenant, v_n);
    IF p_from IS NULL OR p_from NOT IN ('failed', 'start') THEN
        RAISE EXCEPTION 'run_replay: from is %, it must be ''failed'' or ''start''', coalesce(quote_literal(p_from), 'NULL')
            USING ERRCODE = 'HW084',
                  HINT = '''failed'' keeps the outputs of the steps that succeeded and runs the rest; '
                         '''start'' runs every step again.';
    END IF;
    SELECT u.id, r.status INTO v_bad
    FROM unnest(p_run_ids) WITH ORDINALITY AS u(id, i)
    LEFT JOIN hewer.runs r ON r.id = u.id AND r.tenant_id = v_tenant
    WHERE r.id IS NULL OR r.status NOT IN ('failed', 'cancelled')
    ORDER BY u.i LIMIT 1;
    IF FOUND THEN
        IF v_bad.status IS NULL THEN
            RAISE EXCEPTION 'run_replay: run % does not exist', coalesce(v_bad.id::text, 'NULL')
                USING ERRCODE = 'HW009', HINT = 'Check the run id; runs are visible only to their tenant.';
        END IF;
        RAISE EXCEPTION 'run_replay: run % is %, only failed or cancelled runs can be replayed', v_bad.id, v_bad.status
            USING ERRCODE = 'HW083',
                  HINT = CASE WHEN v_bad.status = 'succeeded' THEN 'Trigger a new run instead.'
                              ELSE 'Wait for it to finish, or cancel it first (hewer.run_cancel).' END;
    END IF;
    IF v_n = 0 THEN
        RETURN;
    END IF;

    v_new := ARRAY(SELECT hewer.uuidv7(p_now + make_interval(secs => g / 1e6)) FROM generate_series(1, v_n) AS g);

    WITH req AS MATERIALIZED (
        SELECT u.i, u.id AS orig_id, v_new[u.i] AS new_id, r.*
        FROM unnest(p_run_ids) WITH ORDINALITY AS u(id, i) JOIN hewer.runs r ON r.id = u.id
    ), src AS MATERIALIZED (
        SELECT q.i, q.new_id, t.*, (p_from = 'failed' AND t.status = 'succeeded') AS keep,
               hewer.uuidv7(p_now + make_interval(secs => q.i / 1e6)) AS new_task_id
        FROM req q
        JOIN hewer.tasks t ON t.run_id = q.orig_id AND t.id >= hewer.uuid_floor(hewer.uuid_time(q.orig_id))
    ), remap AS MATERIALIZED (
        SELECT s.new_task_id,
               coalesce((SELECT array_agg(p.new_task_id ORDER BY p.new_task_id)
                         FROM src p WHERE p.new_id = s.new_id AND p.id = ANY (s.parent_ids)), '{}') AS parents,
               coalesce((SELECT array_agg(c.new_task_id ORDER BY c.new_task_id)
                         FROM src c WHERE c.new_id = s.new_id AND c.id = ANY (s.child_ids)), '{}') AS children,
               (SELECT count(*) FROM src p
                WHERE p.new_id = s.new_id AND p.id = ANY (s.parent_ids) AND NOT p.keep)::integer AS parents_left
        FROM src s
    ), runs AS (
        INSERT INTO hewer.runs (tenant_id, id, workflow_id, version_id, status, input, priority, tasks_left,
                                created_at, finished_at, concurrency_key, replay_of, additional_metadata)
        SELECT q.tenant_id, q.new_id, q.workflow_id, q.version_id,
               CASE WHEN l.n = 0 THEN 'succeeded' ELSE 'queued' END::hewer.run_status,
               q.input, q.priority, l.n, p_now, CASE WHEN l.n = 0 THEN p_now END, q.concurrency_key, q.orig_id,
               q.additional_metadata
        FROM req q
        CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE NOT s.keep)::integer AS n
                            FROM src s WHERE s.new_id = q.new_id) l
        RETURNING id, status
    ), inserted AS (
        INSERT INTO hewer.tasks (tenant_id, id, run_id, step, action, status, attempt, max_attempts, priority,
                                 parent_ids, child_ids, parents_left, execution_timeout, schedule_timeout,
                                 output, created_at, queued_at, finished_at, slots, limits)
        SELECT s.tenant_id, s.new_task_id, s.new_id, s.step, s.action,
               CASE WHEN s.keep THEN 'succeeded' WHEN m.parents_left = 0 THEN 'queued' ELSE 'pending'
               END::hewer.task_status,
               0, s.max_attempts, s.priority, m.parents, m.children,
               CASE WHEN s.keep THEN 0 ELSE m.parents_left END,
               s.execution_timeout, s.schedule_timeout,
               CASE WHEN s.keep THEN s.output END, p_now,
               CASE WHEN NOT s.keep AND m.parents_left = 0 THEN p_now END,
               CASE WHEN s.keep THEN p_now END,
               s.slots, s.limits
        FROM src s JOIN remap m ON m.new_task_id = s.new_task_id
        ORDER BY s.new_task_id
        RETURNING id, run_id, status
    ), logged AS (
        INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, worker_id, data,
                                       created_at)
        SELECT s.tenant_id, hewer.uuidv7(), s.new_task_id, s.new_id, 0, 'created',
               CASE WHEN s.keep THEN 'succeeded' WHEN m.parents_left = 0 THEN 'queued' ELSE 'pending'
               END::hewer.task_status, NULL::uuid,
               jsonb_build_object('replay_of', s.id, 'kept', s.keep), p_now
        FROM src s JOIN remap m ON m.new_task_id = s.new_task_id
        UNION ALL
        -- The replay in the original's history: an insert, never an update.
        SELECT s.tenant_id, hewer.uuidv7(), s.id, s.run_id, s.attempt, 'replayed', s.status, s.worker_id,
               jsonb_build_object('replay_run_id', s.new_id, 'replay_task_id', s.new_task_id,
                                  'from', p_from, 'kept', s.keep), p_now
        FROM src s
    )
    SELECT (SELECT array_agg(x.id) FROM inserted x WHERE x.status = 'queued'),
           (SELECT array_agg(r.id) FROM runs r WHERE r.status = 'succeeded')
    INTO v_roots, v_done;

    PERFORM hewer._queue_push(v_roots, p_now);
    PERFORM hewer._notify_runs_done(v_done);

    RETURN QUERY
    SELECT q.i::integer, q.orig_id, q.new_id,
           (SELECT count(*) FILTER (WHERE t.status = 'succeeded')::integer FROM hewer.tasks t
            WHERE t.run_id = q.new_id AND t.id >= hewer.uuid_floor(p_now)),
           r.tasks_left
    FROM (SELECT u.i, u.id AS orig_id, v_new[u.i] AS new_id
          FROM unnest(p_run_ids) WITH ORDINALITY AS u(id, i)) q
    JOIN hewer.runs r ON r.id = q.new_id
    ORDER BY q.i;
END
$$;
