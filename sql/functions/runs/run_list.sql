-- hewer._runs_matching(workflow?, statuses?, since?, until?, input?, replay_of?, metadata?,
--                      function, before?, limit?) -> ids of the tenant's runs that match
--                      every filter given, newest first
--
-- before: only runs older than this run id; limit: at most this many (NULL: all).
-- Both are applied inside the queries, so a page reads its own rows down the
-- runs' id order, not every match (run_list's first page at 1,000,000 runs).
-- since/until: created in [since, until) (the time in the run's id, so the
-- range prunes partitions). input: the run's input contains this JSON
-- object (jsonb @>). metadata: the run's tags (runs.additional_metadata)
-- contain these (jsonb @>), a JSON object of string, number or boolean
-- values like the tags themselves; {} matches every run. A metadata filter
-- is a separate query that says it wants tagged runs only, so the partial
-- GIN index runs_metadata_idx can serve it.
-- Errors: HW003 unknown workflow, HW082 a bad filter.
CREATE OR REPLACE FUNCTION hewer._runs_matching(
    p_workflow text, p_statuses hewer.run_status[], p_since timestamptz, p_until timestamptz,
    p_input jsonb, p_replay_of uuid, p_metadata jsonb, p_function text,
    p_before uuid DEFAULT NULL, p_limit integer DEFAULT NULL)
RETURNS SETOF uuid
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
DECLARE
    v_workflow uuid;
    v_bad record;
BEGIN
    IF p_workflow IS NOT NULL THEN
        v_workflow := hewer._workflow_id(p_workflow);
    END IF;
    IF p_since IS NOT NULL AND p_until IS NOT NULL AND p_since >= p_until THEN
        RAISE EXCEPTION '%: the time range is empty: since % is not before until %', p_function, p_since, p_until
            USING ERRCODE = 'HW082', HINT = 'Pass since < until (runs created in [since, until)).';
    END IF;
    IF NOT isfinite(coalesce(p_since, now())) OR NOT isfinite(coalesce(p_until, now())) THEN
        RAISE EXCEPTION '%: since and until must be finite timestamps', p_function
            USING ERRCODE = 'HW082', HINT = 'Omit a bound instead of passing infinity.';
    END IF;
    IF p_input IS NOT NULL AND jsonb_typeof(p_input) <> 'object' THEN
        RAISE EXCEPTION '%: the input filter must be a JSON object, got %', p_function, jsonb_typeof(p_input)
            USING ERRCODE = 'HW082', HINT = 'Pass the fields the runs'' inputs must contain, e.g. {"customer": 42}.';
    END IF;
    IF array_position(p_statuses, NULL) IS NOT NULL THEN
        RAISE EXCEPTION '%: the statuses filter has a NULL element', p_function
            USING ERRCODE = 'HW082', HINT = 'Pass statuses among queued, running, succeeded, failed, cancelled.';
    END IF;
    IF p_metadata IS NOT NULL AND jsonb_typeof(p_metadata) <> 'object' THEN
        RAISE EXCEPTION '%: the metadata filter must be a JSON object of tags, got %: %',
            p_function, jsonb_typeof(p_metadata), left(p_metadata::text, 200)
            USING ERRCODE = 'HW082', HINT = 'Pass the tags the runs must carry, e.g. {"customer": "acme"}.';
    END IF;
    SELECT e.k, e.v INTO v_bad
    FROM jsonb_each(CASE WHEN jsonb_typeof(p_metadata) = 'object' THEN p_metadata END) AS e(k, v)
    WHERE jsonb_typeof(e.v) NOT IN ('string', 'number', 'boolean')
    ORDER BY e.k LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '%: the metadata filter''s tag % is %, a tag value is a string, number or boolean',
            p_function, quote_ident(v_bad.k), left(v_bad.v::text, 200)
            USING ERRCODE = 'HW082',
                  HINT = 'Pass tags as in the runs'' metadata, e.g. {"customer": "acme", "batch": 7}; '
                         'nested objects, arrays and null are never tag values.';
    END IF;
    IF p_metadata IS NOT NULL AND p_metadata <> '{}' THEN
        RETURN QUERY
        SELECT r.id FROM hewer.runs r
        WHERE r.additional_metadata <> '{}' AND r.additional_metadata @> p_metadata
          AND r.tenant_id = hewer.current_tenant()
          AND (v_workflow IS NULL OR r.workflow_id = v_workflow)
          AND (p_statuses IS NULL OR r.status = ANY (p_statuses))
          AND (p_since IS NULL OR r.id >= hewer.uuid_floor(p_since))
          AND (p_until IS NULL OR r.id < hewer.uuid_floor(p_until))
          AND (p_input IS NULL OR r.input @> p_input)
          AND (p_replay_of IS NULL OR r.replay_of = p_replay_of)
          AND (p_before IS NULL OR r.id < p_before)
        ORDER BY r.id DESC
        LIMIT p_limit;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT r.id FROM hewer.runs r
    WHERE r.tenant_id = hewer.current_tenant()
      AND (v_workflow IS NULL OR r.workflow_id = v_workflow)
      AND (p_statuses IS NULL OR r.status = ANY (p_statuses))
      AND (p_since IS NULL OR r.id >= hewer.uuid_floor(p_since))
      AND (p_until IS NULL OR r.id < hewer.uuid_floor(p_until))
      AND (p_input IS NULL OR r.input @> p_input)
      AND (p_replay_of IS NULL OR r.replay_of = p_replay_of)
      AND (p_before IS NULL OR r.id < p_before)
    ORDER BY r.id DESC
    LIMIT p_limit;
END
$$;

-- hewer.run_list(workflow?, statuses?, since?, until?, input?, replay_of?, limit?, before?,
--                metadata?) -> the tenant's runs matching every filter given, newest first
--
-- Filters as in hewer._runs_matching above; NULL = any. limit: 1 to 10000
-- (default 100); before: a run id, to page (runs older than it). tasks:
-- {status: count} of the run's tasks; additional_metadata: the run's tags.
-- p_metadata came last so that calls written before it keep working. Read-only, no locks.
-- Errors: HW003 unknown workflow, HW082 a bad filter or limit.
CREATE OR REPLACE FUNCTION hewer.run_list(
    p_workflow text DEFAULT NULL,
    p_statuses hewer.run_status[] DEFAULT NULL,
    p_since timestamptz DEFAULT NULL,
    p_until timestamptz DEFAULT NULL,
    p_input jsonb DEFAULT NULL,
    p_replay_of uuid DEFAULT NULL,
    p_limit integer DEFAULT 100,
    p_before uuid DEFAULT NULL,
    p_metadata jsonb DEFAULT NULL)
RETURNS TABLE (run_id uuid, workflow text, version integer, status hewer.run_status, priority integer,
               input jsonb, error jsonb, replay_of uuid, tasks jsonb, created_at timestamptz,
               started_at timestamptz, finished_at timestamptz, additional_metadata jsonb)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'run_list: limit is %, it must be from 1 to 10000', coalesce(p_limit::text, 'NULL')
            USING ERRCODE = 'HW082', HINT = 'Page with before => the last run id of the previous page.';
    END IF;
    RETURN QUERY
    SELECT r.id, w.name, v.version, r.status, r.priority, r.input, r.error, r.replay_of,
           (SELECT coalesce(jsonb_object_agg(c.status, c.n), '{}')
            FROM (SELECT t.status, count(*) AS n FROM hewer.tasks t
                  WHERE t.run_id = r.id AND t.id >= hewer.uuid_floor(hewer.uuid_time(r.id))
                  GROUP BY t.status) c),
           r.created_at, r.started_at, r.finished_at, r.additional_metadata
    FROM hewer._runs_matching(p_workflow, p_statuses, p_since, p_until, p_input,
                              p_replay_of, p_metadata, 'run_list', p_before, p_limit) AS m(id)
    JOIN hewer.runs r ON r.id = m.id
    JOIN hewer.workflows w ON w.id = r.workflow_id
    JOIN hewer.workflow_versions v ON v.id = r.version_id
    ORDER BY r.id DESC;
END
$$;
