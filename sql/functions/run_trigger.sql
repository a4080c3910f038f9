-- hewer.run_trigger(workflow, inputs[], priorities[]?, idempotency_keys[]?, now?)
--   -> (ord, run_id, created)
--
-- Starts one run per input on the workflow's current version. Runs in the
-- caller's transaction, so an application's own write and its enqueue commit
-- or roll back together. Root tasks go on the ready queue at once; the others
-- wait for their parents.
--
-- priorities: NULL or one per input (NULL element = the step's default),
-- from -1000 to 1000, higher first. idempotency_keys: NULL or one per input
-- (NULL element = none); a key already used for this workflow returns that
-- run with created = false, within the batch too.
--
-- Locks: inserts only; a concurrent trigger with the same idempotency key
-- waits for the first to commit. NOTIFY hewer_ready once, with the actions.
-- Errors: HW003 unknown workflow, HW004 input not a JSON object,
-- HW007 bad arrays or priority, HW010 an input over hewer.max_payload_bytes
-- (4 MiB by default).
CREATE OR REPLACE FUNCTION hewer.run_trigger(
    p_workflow text,
    p_inputs jsonb[],
    p_priorities integer[] DEFAULT NULL,
    p_idempotency_keys text[] DEFAULT NULL,
    p_now timestamptz DEFAULT now())
RETURNS TABLE (ord integer, run_id uuid, created boolean)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := hewer.current_tenant();
    v_workflow uuid;
    v_version uuid;
    v_n integer;
    v_bad record;
    v_roots uuid[];
    v_new uuid[];
    v_ids uuid[];
BEGIN
    v_n := hewer._batch_len('run_trigger', p_inputs,
        ARRAY[coalesce(cardinality(p_priorities), cardinality(p_inputs)),
              coalesce(cardinality(p_idempotency_keys), cardinality(p_inputs))]);
    PERFORM hewer._require_now('run_trigger', p_now);
    SELECT w.id, w.current_version_id INTO v_workflow, v_version
    FROM hewer.workflows w WHERE w.tenant_id = v_tenant AND w.name = p_workflow;
    IF v_version IS NULL THEN
        RAISE EXCEPTION 'workflow % does not exist', coalesce(quote_literal(p_workflow), 'NULL')
            USING ERRCODE = 'HW003',
                  HINT = 'Register it first with hewer.workflow_register(name, spec); names are case-sensitive.';
    END IF;
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
    PERFORM hewer._check_payloads('run_trigger', 'input', p_inputs);

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

    WITH req AS MATERIALIZED (
        SELECT u.id AS run_id, u.input, u.prio, u.k, u.i
        FROM unnest(v_ids, v_new, p_inputs,
                    coalesce(p_priorities, array_fill(NULL::integer, ARRAY[v_n])),
                    coalesce(p_idempotency_keys, array_fill(NULL::text, ARRAY[v_n])))
             WITH ORDINALITY AS u(id, new_id, input, prio, k, i)
        WHERE u.id = u.new_id
    ), runs AS (
        INSERT INTO hewer.runs (tenant_id, id, workflow_id, version_id, status, input, priority,
                                idempotency_key, tasks_left, created_at)
        SELECT v_tenant, r.run_id, v_workflow, v_version, 'queued', r.input, coalesce(r.prio, 0),
               r.k, (SELECT count(*) FROM hewer.steps s WHERE s.version_id = v_version), p_now
        FROM req r
    -- One task per step; ids made first so parents and children can point
    -- at each other.
    ), ids AS MATERIALIZED (
        SELECT r.run_id, r.prio AS run_priority, s.*,
               hewer.uuidv7(p_now + make_interval(secs => r.i / 1e6)) AS task_id
        FROM req r CROSS JOIN hewer.steps s
        WHERE s.version_id = v_version
    -- Parent/child links, found once with a join (a correlated subquery per
    -- task would make a batch quadratic in its size).
    ), links AS MATERIALIZED (
        SELECT c.task_id AS child_id, p.task_id AS parent_id
        FROM ids c JOIN ids p ON p.run_id = c.run_id AND p.name = ANY (c.parents)
    ), inserted AS (
        INSERT INTO hewer.tasks (tenant_id, id, run_id, step, action, status, max_attempts, priority,
                                 parent_ids, child_ids, parents_left, execution_timeout,
                                 schedule_timeout, created_at, queued_at)
        SELECT v_tenant, i.task_id, i.run_id, i.name, i.action,
               CASE WHEN cardinality(i.parents) = 0 THEN 'queued' ELSE 'pending' END::hewer.task_status,
               i.max_attempts, coalesce(i.run_priority, i.priority, 0),
               coalesce(up.ids, '{}'), coalesce(down.ids, '{}'),
               cardinality(i.parents), i.execution_timeout, i.schedule_timeout, p_now,
               CASE WHEN cardinality(i.parents) = 0 THEN p_now END
        FROM ids i
        LEFT JOIN (SELECT child_id, array_agg(parent_id ORDER BY parent_id) AS ids
                   FROM links GROUP BY child_id) up ON up.child_id = i.task_id
        LEFT JOIN (SELECT parent_id, array_agg(child_id ORDER BY child_id) AS ids
                   FROM links GROUP BY parent_id) down ON down.parent_id = i.task_id
        ORDER BY i.task_id
        RETURNING id, run_id, status
    ), logged AS (
        INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, created_at)
        SELECT v_tenant, hewer.uuidv7(), x.id, x.run_id, 0, 'created', x.status, p_now
        FROM inserted x
    )
    SELECT array_agg(x.id) INTO v_roots FROM inserted x WHERE x.status = 'queued';

    PERFORM hewer._queue_push(v_roots, p_now);

    RETURN QUERY
    SELECT u.i::integer, u.id, u.id = u.new_id
    FROM unnest(v_ids, v_new) WITH ORDINALITY AS u(id, new_id, i) ORDER BY u.i;
END
$$;
