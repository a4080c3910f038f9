-- hewer.run_lineage(run_id) -> (run_id, replay_of, replays)
--
-- Where a run stands among replays: the run it replays (NULL for a
-- triggered run) and the ids of its own replays, oldest first. No row for an
-- unknown run. Read-only, no locks.
CREATE OR REPLACE FUNCTION hewer.run_lineage(p_run_id uuid)
RETURNS TABLE (run_id uuid, replay_of uuid, replays uuid[])
LANGUAGE sql STABLE
AS $$
    SELECT r.id, r.replay_of,
           ARRAY(SELECT x.id FROM hewer.runs x
                 WHERE x.replay_of = r.id AND x.tenant_id = r.tenant_id ORDER BY x.id)
    FROM hewer.runs r
    WHERE r.id = p_run_id AND r.tenant_id = hewer.current_tenant()
$$;
