-- hewer.run_cancel_matching(workflow?, statuses?, since?, until?, input?, now?, metadata?)
--   -> (run_id, cancelled, status) for every queued or running run matching
--
-- Cancels the active runs of the tenant that match every filter given
-- (filters as in hewer.run_list), exactly as hewer.run_cancel does: pending,
-- waiting and queued tasks are cancelled, running ones are asked to stop on
-- their workers' streams (NOTIFY hewer_cancel). At least one filter is
-- required ({} metadata is none: it matches every run); statuses may name
-- only queued and running. metadata came last so that calls written before
-- it (now given by position) keep working.
-- Locks: as run_cancel (runs in id order, ...). NOTIFY hewer_run_done once.
-- Errors: HW003 unknown workflow, HW082 a bad or missing filter.
CREATE OR REPLACE FUNCTION hewer.run_cancel_matching(
    p_workflow text DEFAULT NULL,
    p_statuses hewer.run_status[] DEFAULT NULL,
    p_since timestamptz DEFAULT NULL,
    p_until timestamptz DEFAULT NULL,
    p_input jsonb DEFAULT NULL,
    p_now timestamptz DEFAULT now(),
    p_metadata jsonb DEFAULT NULL)
RETURNS TABLE (run_id uuid, cancelled boolean, status hewer.run_status)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
    PERFORM hewer._require_now('run_cancel_matching', p_now);
    IF num_nonnulls(p_workflow, p_statuses, p_since, p_until, p_input, nullif(p_metadata, '{}')) = 0 THEN
        RAISE EXCEPTION 'run_cancel_matching: no filter given, so every active run would be cancelled'
            USING ERRCODE = 'HW082',
                  HINT = 'Pass a workflow, a time range, an input or a metadata filter; to cancel every active run, '
                         'pass statuses => ''{queued,running}''.';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_statuses) AS s(v) WHERE s.v IS NULL OR s.v NOT IN ('queued', 'running')) THEN
        RAISE EXCEPTION 'run_cancel_matching: statuses % name a finished status; only queued and running runs '
                        'can be cancelled', p_statuses
            USING ERRCODE = 'HW082', HINT = 'Pass statuses among queued and running, or omit them.';
    END IF;
    RETURN QUERY
    SELECT c.run_id, c.cancelled, c.status
    FROM hewer.run_cancel(ARRAY(
        SELECT m.id FROM hewer._runs_matching(p_workflow, coalesce(p_statuses, '{queued,running}'),
                                              p_since, p_until, p_input, NULL, p_metadata,
                                              'run_cancel_matching') AS m(id)
        ORDER BY m.id), p_now) c;
END
$$;
