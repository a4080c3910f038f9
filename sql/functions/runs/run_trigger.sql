-- hewer.run_trigger(workflow, inputs[], priorities[]?, idempotency_keys[]?, now?,
--                   metadata[]?) -> (ord, run_id, created)
--
-- Starts one run per input on the workflow's current version. Runs in the
-- caller's transaction, so an application's own write and its enqueue commit
-- or roll back together. Root tasks go on the ready queue at once; the others
-- wait for their parents.
--
-- priorities: NULL or one per input (NULL element = the step's default),
-- from -1000 to 1000, higher first. idempotency_keys: NULL or one per input
-- (NULL element = none); a key already used for this workflow returns that
-- run with created = false, within the batch too. metadata: NULL or one
-- per input (NULL element = {}), key/value tags stored in
-- runs.additional_metadata (see hewer.runs_by_metadata).
--
-- Concurrency and rate-limit keys (CEL compiled at registration) are
-- evaluated here for every run, and each task gets the semaphores and rate
-- limits that gate its claim (tasks.limits). With a workflow limit whose
-- strategy is CANCEL_IN_PROGRESS, the oldest active runs of a key are
-- cancelled so that at most `max` stay; with CANCEL_NEWEST, new runs over
-- `max` are created cancelled (error.type = "concurrency").
--
-- Locks: inserts; a concurrent trigger with the same idempotency key
-- waits for the first to commit. With a cancel strategy, a transaction
-- advisory lock per workflow key serializes triggers of one key, then the
-- runs it cancels (id order). NOTIFY hewer_ready once, with the actions.
-- Errors: HW003 unknown workflow, HW004 input not a JSON object,
-- HW007 bad arrays or priority, HW010 an input over hewer.max_payload_bytes
-- (4 MiB by default), HW021 a key cannot be evaluated for an input,
-- HW090 metadata that is not an object of scalar values, HW094 over the
-- tenant's trigger rate (hewer.tenant_update).
CREATE OR REPLACE FUNCTION hewer.run_trigger(
    p_workflow text,
    p_inputs jsonb[],
    p_priorities integer[] DEFAULT NULL,
    p_idempotency_keys text[] DEFAULT NULL,
    p_now timestamptz DEFAULT now(),
    p_metadata jsonb[] DEFAULT NULL)
RETURNS TABLE (ord integer, run_id uuid, created boolean)
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    RETURN QUERY
    SELECT * FROM hewer._run_trigger(hewer.current_tenant(), p_workflow, p_inputs, p_priorities,
                                     p_idempotency_keys, p_now, p_metadata);
END
$$;

-- hewer._run_trigger(tenant, workflow, inputs[], priorities[], idempotency_keys[], now,
--                    metadata[]) -> (ord, run_id, created)   (private)
--
-- run_trigger for the tenant named by the caller: the leader's steps (cron_fire,
-- event_route_apply, schedule_fire) start runs for the tenant that owns the cron, event
-- or schedule by passing it here, instead of setting hewer.tenant around the call. Not
-- granted to tenant roles (they may not choose their tenant).
CREATE OR REPLACE FUNCTION hewer._run_trigger(
    p_tenant uuid,
    p_workflow text,
    p_inputs jsonb[],
    p_priorities integer[],
    p_idempotency_keys text[],
    p_now timestamptz,
    p_metadata jsonb[])
RETURNS TABLE (ord integer, run_id uuid, created boolean)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := p_tenant;
    v_workflow uuid;
    v_version uuid;
    v_n integer;
    v_bad record;
    v_roots uuid[];
    v_new uuid[];
    v_ids uuid[];
    v_ver hewer.workflow_versions;
    v_run_limits jsonb[];
    v_step_limits jsonb := '{}'::jsonb;
    v_affinity jsonb;
    v_step record;
    v_keys text[];
    v_sems bigint[];
    v_owner text;
    v_rate jsonb;
    v_rates jsonb[];
    v_key text;
    v_active uuid[];
    v_victims uuid[] := '{}'::uuid[];
BEGIN
    v_n := hewer._batch_len('run_trigger', p_inputs,
        ARRAY[coalesce(cardinality(p_priorities), cardinality(p_inputs)),
              coalesce(cardinality(p_idempotency_keys), cardinality(p_inputs)),
              coalesce(cardinality(p_metadata), cardinality(p_inputs))]);
    PERFORM hewer._require_now('run_trigger', p_now);
    SELECT w.id, w.current_version_id INTO v_workflow, v_version
    FROM hewer.workflows w WHERE w.tenant_id = v_tenant AND w.name = p_workflow;
    IF v_version IS NULL THEN
        RAISE EXCEPTION 'workflow % does not exist', coalesce(quote_literal(p_workflow), 'NULL')
            USING ERRCODE = 'HW003',
                  HINT = 'Register it first with hewer.workflow_register(name, spec); names are case-sensitive.';
    END IF;
    PERFORM hewer._tenant_admit('run_trigger', v_tenant, v_n);
    IF v_n = 0 THEN
        RETURN;
    END IF;

    SELECT u.i, u.input, u.prio INTO v_bad
    FROM unnest(p_inputs, coalesce(p_priorities, array_fill(NULL::integer, ARRAY[v_n])))
         WITH ORDINALITY AS u(input, prio, i)
    WHERE u.input IS NULL OR jsonb_typeof(u.input) <> 'object' OR u.prio NOT BETWEEN -1000 AND 1000
    ORDER BY u.i LIMIT 1;
    IF FOUND THEN
        IF v_bad.input IS NULL OR jsonb_typeof(v_bad.input) <> 'object' THEN
            RAISE EXCEPTION 'run_trigger: input #% must be a JSON object, got %', v_bad.i,
                coalesce(jsonb_typeof(v_bad.input), 'NULL')
                USING ERRCODE = 'HW004', HINT = 'Wrap the value in an object, e.g. {"value": ...}.';
        END IF;
        RAISE EXCEPTION 'run_trigger: priority #% is %, it must be from -1000 to 1000', v_bad.i, v_bad.prio
            USING ERRCODE = 'HW007';
    END IF;
    PERFORM hewer._check_payloads('run_trigger', 'input', p_inputs, v_tenant);
    PERFORM hewer._check_metadata('run_trigger', p_metadata);

    -- Keys and semaphores: one limits object per input for the run's
    -- workflow limit, and per step for its step limit and rate limits.
    SELECT * INTO v_ver FROM hewer.workflow_versions v WHERE v.id = v_version;
    IF v_ver.concurrency_max IS NOT NULL THEN
        v_keys := CASE WHEN v_ver.concurrency_key_sql IS NULL THEN array_fill(''::text, ARRAY[v_n])
                       ELSE hewer._cel_eval_batch(v_ver.concurrency_key_sql, p_inputs,
                                                  format('run_trigger: workflow %s: concurrency key %s',
                                                         p_workflow, v_ver.concurrency_key)) END;
        v_sems := hewer._semaphores(v_tenant, 'workflow', v_workflow::text, v_keys);
        v_run_limits := ARRAY(
            SELECT jsonb_build_object('run_sem', u.sem, 'run_max', v_ver.concurrency_max, 'run_key', u.k)
                   || CASE WHEN v_ver.concurrency_strategy = 'GROUP_ROUND_ROBIN'
                           THEN jsonb_build_object('rr_sem', u.sem, 'rr_group', 'workflow:' || v_workflow)
                           ELSE '{}'::jsonb END
            FROM unnest(v_keys, v_sems) WITH ORDINALITY AS u(k, sem, i) ORDER BY u.i);
    END IF;
    FOR v_step IN
        SELECT s.* FROM hewer.steps s
        WHERE s.version_id = v_version AND (s.concurrency_max IS NOT NULL OR s.rate_limits <> '[]')
    LOOP
        v_rates := array_fill('[]'::jsonb, ARRAY[v_n]);
        FOR v_rate IN SELECT e FROM jsonb_array_elements(v_step.rate_limits) AS a(e) LOOP
            v_keys := CASE WHEN v_rate ? 'key_sql'
                           THEN hewer._cel_eval_batch(v_rate ->> 'key_sql', p_inputs,
                                    format('run_trigger: workflow %s: step %s: rate limit %s key %s',
                                           p_workflow, v_step.name, v_rate ->> 'limit', v_rate ->> 'key'))
                           ELSE array_fill(''::text, ARRAY[v_n]) END;
            v_rates := ARRAY(SELECT u.r || jsonb_build_array(jsonb_build_array(v_rate ->> 'limit', u.k, v_rate -> 'units'))
                             FROM unnest(v_rates, v_keys) WITH ORDINALITY AS u(r, k, i) ORDER BY u.i);
        END LOOP;
        IF v_step.concurrency_max IS NOT NULL THEN
            v_keys := CASE WHEN v_step.concurrency_key_sql IS NULL THEN array_fill(''::text, ARRAY[v_n])
                           ELSE hewer._cel_eval_batch(v_step.concurrency_key_sql, p_inputs,
                                    format('run_trigger: workflow %s: step %s: concurrency key %s',
                                           p_workflow, v_step.name, v_step.concurrency_key)) END;
            v_owner := v_workflow::text || '/' || v_step.name;
            v_sems := hewer._semaphores(v_tenant, 'step', v_owner, v_keys);
        END IF;
        v_step_limits := v_step_limits || jsonb_build_object(v_step.name, to_jsonb(ARRAY(
            SELECT CASE WHEN v_step.concurrency_max IS NOT NULL
                        THEN jsonb_build_object('step_sem', v_sems[u.i], 'step_max', v_step.concurrency_max,
                                                'rr_sem', v_sems[u.i], 'rr_group', 'step:' || v_owner)
                        ELSE '{}'::jsonb END
                   || CASE WHEN u.r <> '[]' THEN jsonb_build_object('rates', u.r) ELSE '{}'::jsonb END
            FROM unnest(v_rates) WITH ORDINALITY AS u(r, i) ORDER BY u.i)));
    END LOOP;

    -- Who may take each step's tasks (docs/affinity.md), for the queue rows:
    -- {"step": {"labels": {...}, "prefer": {...}, "sticky": "soft"}}.
    SELECT coalesce(jsonb_object_agg(e ->> 'name', jsonb_strip_nulls(jsonb_build_object(
               'labels', hewer._spec_labels(e -> 'worker_labels', '', 'worker_labels', false),
               'prefer', hewer._spec_labels(e -> 'preferred_labels', '', 'preferred_labels', true),
               'sticky', v_ver.spec -> 'sticky')))
           FILTER (WHERE e ? 'worker_labels' OR e ? 'preferred_labels' OR v_ver.spec ? 'sticky'),
           '{}'::jsonb)
    INTO v_affinity
    FROM jsonb_array_elements(v_ver.spec -> 'steps') AS a(e);

    -- New run ids for every input; keys already taken map to their run. The
    -- lookup is a separate statement so that it sees a concurrent trigger's
    -- key once ON CONFLICT has waited for it to commit.
    -- Ids a microsecond apart keep a batch's runs (and so their queue
    -- entries) in input order.
    v_new := ARRAY(SELECT hewer.uuidv7(p_now + make_interval(secs => g / 1e6))
                   FROM generate_series(1, v_n) AS g);
    v_ids := v_new;
    IF p_idempotency_keys IS NOT NULL THEN
        INSERT INTO hewer.idempotency_keys (tenant_id, workflow_id, key, run_id, created_at)
        SELECT v_tenant, v_workflow, u.k, u.id, p_now
        FROM unnest(p_idempotency_keys, v_new) WITH ORDINALITY AS u(k, id, i)
        WHERE u.k IS NOT NULL ORDER BY u.i
        ON CONFLICT DO NOTHING;
        v_ids := ARRAY(
            SELECT coalesce(k.run_id, u.id)
            FROM unnest(p_idempotency_keys, v_new) WITH ORDINALITY AS u(k, id, i)
            LEFT JOIN hewer.idempotency_keys k
                   ON k.tenant_id = v_tenant AND k.workflow_id = v_workflow AND k.key = u.k
            ORDER BY u.i);
    END IF;

    -- Each part below is linear in the batch whatever the planner estimates.
    -- PL/pgSQL caches a generic plan of this statement from a session's sixth
    -- call on, and that plan takes the batch for one row: a join of the batch's
    -- tasks with themselves (to link parents and children) then ran as nested
    -- loops, and a call of 10,000 runs of a 3-step chain took minutes. So a
    -- task's parents and children are picked by number out of its run's task
    -- ids, and v_run_limits is unnested beside the inputs (v_run_limits[i]
    -- walks the array to its i-th element).
    WITH req AS MATERIALIZED (
        SELECT u.id AS run_id, u.input, u.prio, u.k, u.i, u.run_limits,
               coalesce(u.meta, '{}') AS metadata
        FROM unnest(v_ids, v_new, p_inputs,
                    coalesce(p_priorities, array_fill(NULL::integer, ARRAY[v_n])),
                    coalesce(p_idempotency_keys, array_fill(NULL::text, ARRAY[v_n])),
                    coalesce(p_metadata, array_fill(NULL::jsonb, ARRAY[v_n])),
                    coalesce(v_run_limits, array_fill(NULL::jsonb, ARRAY[v_n])))
             WITH ORDINALITY AS u(id, new_id, input, prio, k, meta, run_limits, i)
        WHERE u.id = u.new_id
    ), runs AS (
        INSERT INTO hewer.runs (tenant_id, id, workflow_id, version_id, status, input, priority,
                                idempotency_key, tasks_left, created_at, concurrency_key,
                                additional_metadata)
        SELECT v_tenant, r.run_id, v_workflow, v_version, 'queued', r.input, coalesce(r.prio, 0),
               r.k, (SELECT count(*) FROM hewer.steps s WHERE s.version_id = v_version), p_now,
               r.run_limits ->> 'run_key', r.metadata
        FROM req r
    -- The version's steps numbered 1..n in spec order, each with the numbers of
    -- its parents and of its children.
    ), st AS MATERIALIZED (
        SELECT x.*, row_number() OVER (ORDER BY x.ordinal) AS pos
        FROM hewer.steps x WHERE x.version_id = v_version
    ), shape AS MATERIALIZED (
        SELECT s.*,
               ARRAY(SELECT p.pos FROM st p WHERE p.name = ANY (s.parents) ORDER BY p.pos) AS parent_pos,
               ARRAY(SELECT c.pos FROM st c WHERE s.name = ANY (c.parents) ORDER BY c.pos) AS child_pos
        FROM st s
    -- One task per step: each run's task ids made first, in step order, so that
    -- a task's parents and children are picked out of its run's ids by number.
    ), ids AS MATERIALIZED (
        SELECT r.*, ARRAY(SELECT hewer.uuidv7(p_now + make_interval(secs => r.i / 1e6))
                          FROM shape s ORDER BY s.pos) AS task_ids
        FROM req r
    ), inserted AS (
        INSERT INTO hewer.tasks (tenant_id, id, run_id, step, action, status, max_attempts, priority,
                                 parent_ids, child_ids, parents_left, execution_timeout,
                                 schedule_timeout, created_at, queued_at, slots, limits)
        SELECT v_tenant, r.task_ids[s.pos], r.run_id, s.name, s.action,
               CASE WHEN cardinality(s.parents) = 0 THEN 'queued' ELSE 'pending' END::hewer.task_status,
               s.max_attempts, coalesce(r.prio, s.priority, 0),
               ARRAY(SELECT r.task_ids[p] FROM unnest(s.parent_pos) AS p ORDER BY 1),
               ARRAY(SELECT r.task_ids[c] FROM unnest(s.child_pos) AS c ORDER BY 1),
               cardinality(s.parents), s.execution_timeout, s.schedule_timeout, p_now,
               CASE WHEN cardinality(s.parents) = 0 THEN p_now END,
               s.slots,
               nullif(coalesce(r.run_limits - 'run_key', '{}') || coalesce(v_step_limits -> s.name -> (r.i::integer - 1), '{}')
                      || coalesce(v_affinity -> s.name, '{}'),
                      '{}'::jsonb)
        FROM ids r CROSS JOIN shape s
        ORDER BY r.task_ids[s.pos]
        RETURNING id, run_id, status
    ), logged AS (
        INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, created_at)
        SELECT v_tenant, hewer.uuidv7(), x.id, x.run_id, 0, 'created', x.status, p_now
        FROM inserted x
    )
    SELECT array_agg(x.id) INTO v_roots FROM inserted x WHERE x.status = 'queued';

    -- Cancel strategies, one key at a time under its advisory lock: count the
    -- key's active runs (this batch's included) and cancel the oldest
    -- (CANCEL_IN_PROGRESS) or this batch's newest (CANCEL_NEWEST) over max.
    IF v_ver.concurrency_strategy IN ('CANCEL_IN_PROGRESS', 'CANCEL_NEWEST') THEN
        FOR v_key IN SELECT DISTINCT r.concurrency_key FROM hewer.runs r
                     WHERE r.id = ANY (v_new) ORDER BY 1 LOOP
            PERFORM pg_advisory_xact_lock(hashtextextended('hewer.concurrency:' || v_workflow || ':' || v_key, 0));
            v_active := ARRAY(SELECT r.id FROM hewer.runs r
                              WHERE r.tenant_id = v_tenant AND r.workflow_id = v_workflow
                                AND r.concurrency_key = v_key AND r.status IN ('queued', 'running')
                              ORDER BY r.id);
            IF cardinality(v_active) > v_ver.concurrency_max THEN
                IF v_ver.concurrency_strategy = 'CANCEL_IN_PROGRESS' THEN
                    v_victims := v_victims || v_active[1:cardinality(v_active) - v_ver.concurrency_max];
                ELSE
                    -- This batch's runs are the newest, whatever their ids
                    -- (a concurrent trigger may have committed later ones).
                    v_victims := v_victims || ARRAY(
                        SELECT o.id FROM (SELECT a.id FROM unnest(v_active) WITH ORDINALITY AS a(id, i)
                                          ORDER BY a.id = ANY (v_new), a.i
                                          OFFSET v_ver.concurrency_max) o
                        WHERE o.id = ANY (v_new));
                END IF;
            END IF;
        END LOOP;
        IF cardinality(v_victims) > 0 THEN
            PERFORM hewer._runs_cancel(v_victims,
                jsonb_build_object('type', 'concurrency', 'strategy', v_ver.concurrency_strategy,
                                   'message', format('cancelled by %s: its concurrency key has %s active runs at most',
                                                     v_ver.concurrency_strategy, v_ver.concurrency_max)),
                p_now);
        END IF;
    END IF;

    PERFORM hewer._queue_push(v_roots, p_now);

    RETURN QUERY
    SELECT u.i::integer, u.id, u.id = u.new_id
    FROM unnest(v_ids, v_new) WITH ORDINALITY AS u(id, new_id, i) ORDER BY u.i;
END
$$;
