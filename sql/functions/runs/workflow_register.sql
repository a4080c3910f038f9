-- hewer.workflow_register(name, spec) -> (workflow_id, version_id, version, created)
--
-- Registers a version of a workflow from a JSON spec and makes it current.
-- A spec identical (same checksum) to an existing version returns that
-- version with created = false and leaves the current version as it is, so
-- old and new workers can re-register during a rolling deploy.
--
-- Spec: {"steps": [{"name", "action"?, "parents"?, "retries"?, "backoff"?:
--   {"base", "factor", "max", "jitter"}, "timeout"?, "schedule_timeout"?,
--   "priority"?, "concurrency"?, "slots"?, "rate_limits"?, "wait"?}],
--   "description"?, "priority"?, "concurrency"?, "on_events"?, "cron"?}.
--   concurrency: {"key"?: CEL, "max", "strategy"?}, its key compiled to SQL
--   here (hewer._cel_compile) so runs triggered from plain SQL get their keys.
--   See docs/sql-api.md and docs/events.md.
--
-- Locks: the workflow row (FOR UPDATE), serializing registrations of one
-- workflow. Errors: HW001 invalid spec (names the step and the problem),
-- HW002 cycle (names the steps in it), HW010 spec over hewer.max_payload_bytes,
-- HW020 unsupported CEL in a key, HW022 a bad limit (zero, negative, unknown
-- strategy), HW023 unknown rate limit.
CREATE OR REPLACE FUNCTION hewer.workflow_register(p_name text, p_spec jsonb)
RETURNS TABLE (workflow_id uuid, version_id uuid, version integer, created boolean)
LANGUAGE plpgsql VOLATILE
-- The planner prices the cycle check's recursive CTE over jsonb_array_elements far above
-- jit_above_cost, so with JIT on (Debian's builds) every call paid ~0.5 s to compile it.
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := hewer.current_tenant();
    v_workflow uuid;
    v_checksum text;
    v_version_id uuid;
    v_version integer;
    v_step jsonb;
    v_where text;
    v_names text[] := '{}'::text[];
    v_name text;
    v_parent text;
    v_key text;
    v_backoff jsonb;
    v_base interval;
    v_max interval;
    v_wf_priority integer;
    v_cycle text[];
    v_ordinal integer := 0;
    v_conc record;
BEGIN
    PERFORM hewer._check_payloads('workflow_register', 'spec', ARRAY[p_spec], v_tenant);
    IF p_name IS NULL OR NOT hewer._valid_name(p_name) THEN
        RAISE EXCEPTION 'invalid workflow name %', coalesce(quote_literal(p_name), 'NULL')
            USING ERRCODE = 'HW001',
                  HINT = 'A name is 1 to 128 characters: letters, digits and _ - . : (not starting with - . :).';
    END IF;
    IF p_spec IS NULL OR jsonb_typeof(p_spec) <> 'object' THEN
        RAISE EXCEPTION 'invalid workflow spec for "%": the spec must be a JSON object, got %',
            p_name, coalesce(jsonb_typeof(p_spec), 'NULL')
            USING ERRCODE = 'HW001', HINT = 'Pass {"steps": [{"name": "..."}]}.';
    END IF;
    FOR v_key IN SELECT jsonb_object_keys(p_spec) LOOP
        IF v_key NOT IN ('steps', 'description', 'priority', 'concurrency', 'on_events', 'cron',
                         'sticky') THEN
            RAISE EXCEPTION 'invalid workflow spec for "%": unknown field "%"', p_name, v_key
                USING ERRCODE = 'HW001',
                      HINT = 'Known fields: steps, description, priority, concurrency, on_events, cron, sticky.';
        END IF;
    END LOOP;
    IF jsonb_typeof(p_spec -> 'steps') IS DISTINCT FROM 'array'
       OR jsonb_array_length(p_spec -> 'steps') = 0 THEN
        RAISE EXCEPTION 'invalid workflow spec for "%": "steps" must be a non-empty array', p_name
            USING ERRCODE = 'HW001', HINT = 'Pass {"steps": [{"name": "..."}]}.';
    END IF;
    IF jsonb_array_length(p_spec -> 'steps') > 1000 THEN
        RAISE EXCEPTION 'invalid workflow spec for "%": % steps, at most 1000 are allowed',
            p_name, jsonb_array_length(p_spec -> 'steps')
            USING ERRCODE = 'HW001';
    END IF;
    PERFORM hewer._spec_triggers_check(p_name, p_spec);
    IF p_spec ? 'sticky' AND (p_spec ->> 'sticky') IS DISTINCT FROM 'soft'
       AND (p_spec ->> 'sticky') IS DISTINCT FROM 'hard' THEN
        RAISE EXCEPTION 'invalid workflow spec for "%": "sticky" must be "soft" or "hard", got %',
            p_name, left((p_spec -> 'sticky')::text, 100)
            USING ERRCODE = 'HW001',
                  HINT = 'soft: a run''s tasks prefer the worker of its first task; hard: only that worker while it lives (docs/affinity.md).';
    END IF;
    v_wf_priority := hewer._spec_int(p_spec -> 'priority', 0, 'workflow "' || p_name || '"', 'priority', -1000, 1000);
    v_conc := hewer._spec_concurrency(p_spec -> 'concurrency', 'workflow "' || p_name || '"', 'workflow');

    -- Pass 1: names are valid and unique.
    FOR v_step IN SELECT e FROM jsonb_array_elements(p_spec -> 'steps') AS a(e) LOOP
        v_ordinal := v_ordinal + 1;
        IF jsonb_typeof(v_step) <> 'object' THEN
            RAISE EXCEPTION 'invalid workflow spec for "%": step #% must be an object, got %',
                p_name, v_ordinal, v_step
                USING ERRCODE = 'HW001';
        END IF;
        v_name := v_step ->> 'name';
        IF jsonb_typeof(v_step -> 'name') IS DISTINCT FROM 'string' OR NOT hewer._valid_name(v_name) THEN
            RAISE EXCEPTION 'invalid workflow spec for "%": step #% has an invalid name %',
                p_name, v_ordinal, coalesce((v_step -> 'name')::text, 'NULL')
                USING ERRCODE = 'HW001',
                      HINT = 'A step name is 1 to 128 characters: letters, digits and _ - . :';
        END IF;
        IF v_name = ANY (v_names) THEN
            RAISE EXCEPTION 'invalid workflow spec for "%": step "%" is defined twice', p_name, v_name
                USING ERRCODE = 'HW001', HINT = 'Step names must be unique within a workflow.';
        END IF;
        v_names := v_names || v_name;
    END LOOP;

    -- Pass 2: fields, parents and ranges.
    FOR v_step IN SELECT e FROM jsonb_array_elements(p_spec -> 'steps') AS a(e) LOOP
        v_name := v_step ->> 'name';
        v_where := 'step "' || v_name || '"';
        FOR v_key IN SELECT jsonb_object_keys(v_step) LOOP
            IF v_key NOT IN ('name', 'action', 'parents', 'retries', 'backoff', 'timeout',
                             'schedule_timeout', 'priority', 'description', 'concurrency', 'slots',
                             'rate_limits', 'wait', 'worker_labels', 'preferred_labels') THEN
                RAISE EXCEPTION 'invalid workflow spec for "%": %: unknown field "%"', p_name, v_where, v_key
                    USING ERRCODE = 'HW001',
                          HINT = 'Known fields: name, action, parents, retries, backoff, timeout, schedule_timeout, priority, description, concurrency, slots, rate_limits, wait, worker_labels, preferred_labels.';
            END IF;
        END LOOP;
        IF v_step ? 'action' AND (jsonb_typeof(v_step -> 'action') <> 'string'
                                  OR NOT hewer._valid_name(v_step ->> 'action')) THEN
            RAISE EXCEPTION 'invalid workflow spec for "%": %: invalid action %', p_name, v_where, v_step -> 'action'
                USING ERRCODE = 'HW001', HINT = 'An action is 1 to 128 characters: letters, digits and _ - . :';
        END IF;
        IF v_step ? 'parents' THEN
            IF jsonb_typeof(v_step -> 'parents') <> 'array' THEN
                RAISE EXCEPTION 'invalid workflow spec for "%": %: "parents" must be an array of step names',
                    p_name, v_where
                    USING ERRCODE = 'HW001';
            END IF;
            FOR v_parent IN SELECT e #>> '{}' FROM jsonb_array_elements(v_step -> 'parents') AS a(e) LOOP
                IF v_parent IS NULL OR NOT (v_parent = ANY (v_names)) THEN
                    RAISE EXCEPTION 'invalid workflow spec for "%": %: parent % is not a step of this workflow',
                        p_name, v_where, coalesce(quote_literal(v_parent), 'NULL')
                        USING ERRCODE = 'HW001', HINT = 'Known steps: ' || array_to_string(v_names, ', ');
                END IF;
                IF v_parent = v_name THEN
                    RAISE EXCEPTION 'invalid workflow spec for "%": %: a step cannot be its own parent',
                        p_name, v_where
                        USING ERRCODE = 'HW002';
                END IF;
            END LOOP;
            IF (SELECT count(*) <> count(DISTINCT e) FROM jsonb_array_elements(v_step -> 'parents') AS a(e)) THEN
                RAISE EXCEPTION 'invalid workflow spec for "%": %: a parent is listed twice', p_name, v_where
                    USING ERRCODE = 'HW001';
            END IF;
        END IF;
        PERFORM hewer._spec_int(v_step -> 'retries', 0, v_where, 'retries', 0, 100);
        PERFORM hewer._spec_int(v_step -> 'priority', 0, v_where, 'priority', -1000, 1000);
        PERFORM hewer._spec_int(v_step -> 'slots', 1, v_where, 'slots', 1, 1000);
        PERFORM hewer._spec_labels(v_step -> 'worker_labels', v_where, 'worker_labels', false);
        PERFORM hewer._spec_labels(v_step -> 'preferred_labels', v_where, 'preferred_labels', true);
        PERFORM hewer._spec_concurrency(v_step -> 'concurrency', v_where, 'step');
        PERFORM hewer._spec_rate_limits(v_step -> 'rate_limits', v_where);
        PERFORM hewer._spec_duration(v_step -> 'timeout', '1 minute', v_where, 'timeout', '1 second', '7 days');
        PERFORM hewer._spec_duration(v_step -> 'schedule_timeout', '1 day', v_where, 'schedule_timeout',
                                     '1 second', '30 days');
        v_backoff := coalesce(v_step -> 'backoff', '{}');
        IF jsonb_typeof(v_backoff) <> 'object' THEN
            RAISE EXCEPTION 'invalid workflow spec for "%": %: "backoff" must be an object', p_name, v_where
                USING ERRCODE = 'HW001', HINT = 'E.g. {"base": "1s", "factor": 2, "max": "1m", "jitter": 0.1}.';
        END IF;
        FOR v_key IN SELECT jsonb_object_keys(v_backoff) LOOP
            IF v_key NOT IN ('base', 'factor', 'max', 'jitter') THEN
                RAISE EXCEPTION 'invalid workflow spec for "%": %: unknown backoff field "%"', p_name, v_where, v_key
                    USING ERRCODE = 'HW001', HINT = 'Known fields: base, factor, max, jitter.';
            END IF;
        END LOOP;
        v_base := hewer._spec_duration(v_backoff -> 'base', '1 second', v_where, 'backoff.base', '0', '1 day');
        v_max := hewer._spec_duration(v_backoff -> 'max', '5 minutes', v_where, 'backoff.max', '0', '7 days');
        IF v_max < v_base THEN
            RAISE EXCEPTION 'invalid workflow spec for "%": %: backoff.max (%) is below backoff.base (%)',
                p_name, v_where, v_max, v_base
                USING ERRCODE = 'HW001';
        END IF;
        PERFORM hewer._spec_number(v_backoff -> 'factor', 2, v_where, 'backoff.factor', 1, 10);
        PERFORM hewer._spec_number(v_backoff -> 'jitter', 0.1, v_where, 'backoff.jitter', 0, 1);
    END LOOP;

    -- Pass 3: the graph is acyclic. Walk parent edges from every step; a walk
    -- that comes back to its start is a cycle, reported with its path.
    WITH RECURSIVE edges AS (
        SELECT e ->> 'name' AS child, p #>> '{}' AS parent
        FROM jsonb_array_elements(p_spec -> 'steps') AS a(e),
             jsonb_array_elements(coalesce(e -> 'parents', '[]')) AS b(p)
    ), walk AS (
        SELECT child AS start, parent AS node, ARRAY[child, parent] AS path, false AS cyclic
        FROM edges
        UNION ALL
        SELECT w.start, e.parent, w.path || e.parent, e.parent = w.start
        FROM walk w JOIN edges e ON e.child = w.node
        WHERE NOT w.cyclic AND NOT (e.parent = ANY (w.path[2:]))
    )
    SELECT path INTO v_cycle FROM walk WHERE cyclic ORDER BY cardinality(path), start LIMIT 1;
    IF v_cycle IS NOT NULL THEN
        RAISE EXCEPTION 'invalid workflow spec for "%": steps form a cycle: %', p_name,
            array_to_string(v_cycle, ' -> ')
            USING ERRCODE = 'HW002', HINT = 'A step''s parents must all run before it; remove one edge of the cycle.';
    END IF;

    PERFORM hewer._spec_waits_check(p_name, p_spec);
    v_checksum := encode(sha256(convert_to(p_spec::text, 'UTF8')), 'hex');

    IF NOT EXISTS (SELECT 1 FROM hewer.workflows w WHERE w.tenant_id = v_tenant AND w.name = p_name) THEN
        PERFORM hewer._tenant_cap('workflow_register', v_tenant, 'workflows', 1);
    END IF;
    INSERT INTO hewer.workflows AS w (tenant_id, name) VALUES (v_tenant, p_name)
    ON CONFLICT (tenant_id, name) DO NOTHING;
    SELECT w.id INTO v_workflow FROM hewer.workflows w
    WHERE w.tenant_id = v_tenant AND w.name = p_name FOR UPDATE;

    SELECT v.id, v.version INTO v_version_id, v_version FROM hewer.workflow_versions v
    WHERE v.workflow_id = v_workflow AND v.checksum = v_checksum;
    IF FOUND THEN
        RETURN QUERY SELECT v_workflow, v_version_id, v_version, false;
        RETURN;
    END IF;

    SELECT coalesce(max(v.version), 0) + 1 INTO v_version FROM hewer.workflow_versions v
    WHERE v.workflow_id = v_workflow;
    INSERT INTO hewer.workflow_versions (tenant_id, workflow_id, version, spec, checksum,
                                         concurrency_key, concurrency_key_sql, concurrency_max,
                                         concurrency_strategy)
    VALUES (v_tenant, v_workflow, v_version, p_spec, v_checksum,
            v_conc.key, v_conc.key_sql, v_conc.max, v_conc.strategy)
    RETURNING id INTO v_version_id;

    INSERT INTO hewer.steps (tenant_id, version_id, ordinal, name, action, parents, max_attempts,
                             backoff_base, backoff_factor, backoff_max, backoff_jitter,
                             execution_timeout, schedule_timeout, priority,
                             concurrency_key, concurrency_key_sql, concurrency_max,
                             concurrency_strategy, slots, rate_limits)
    SELECT v_tenant, v_version_id, a.ord, a.e ->> 'name',
           coalesce(a.e ->> 'action', p_name || ':' || (a.e ->> 'name')),
           coalesce(ARRAY(SELECT p #>> '{}' FROM jsonb_array_elements(a.e -> 'parents') AS b(p)), '{}'),
           1 + hewer._spec_int(a.e -> 'retries', 0, '', 'retries', 0, 100),
           hewer._spec_duration(a.e #> '{backoff,base}', '1 second', '', 'backoff.base', '0', '1 day'),
           hewer._spec_number(a.e #> '{backoff,factor}', 2, '', 'backoff.factor', 1, 10),
           hewer._spec_duration(a.e #> '{backoff,max}', '5 minutes', '', 'backoff.max', '0', '7 days'),
           hewer._spec_number(a.e #> '{backoff,jitter}', 0.1, '', 'backoff.jitter', 0, 1),
           hewer._spec_duration(a.e -> 'timeout', '1 minute', '', 'timeout', '1 second', '7 days'),
           hewer._spec_duration(a.e -> 'schedule_timeout', '1 day', '', 'schedule_timeout', '1 second', '30 days'),
           hewer._spec_int(a.e -> 'priority', v_wf_priority, '', 'priority', -1000, 1000),
           c.key, c.key_sql, c.max, c.strategy,
           hewer._spec_int(a.e -> 'slots', 1, '', 'slots', 1, 1000),
           hewer._spec_rate_limits(a.e -> 'rate_limits', '')
    FROM jsonb_array_elements(p_spec -> 'steps') WITH ORDINALITY AS a(e, ord)
    CROSS JOIN LATERAL hewer._spec_concurrency(a.e -> 'concurrency', '', 'step') AS c;
    PERFORM hewer._spec_waits_insert(v_version_id, p_spec);

    UPDATE hewer.workflows w SET current_version_id = v_version_id WHERE w.id = v_workflow;
    PERFORM hewer._spec_crons_sync(v_workflow, p_spec, now());
    RETURN QUERY SELECT v_workflow, v_version_id, v_version, true;
END
$$;
