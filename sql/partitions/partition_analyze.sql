-- hewer.partition_analyze() -> SETOF text
--
-- ANALYZEs every partitioned table in hewer.partition_config and returns
-- their names. Autovacuum analyzes the partitions but never their parents,
-- so without this the planner has no statistics for queries on the parents
-- (joins, and anything not pruned to a single partition). Run it on a
-- schedule, e.g. daily after partition_create.
--
-- On PostgreSQL 18 and later it runs ANALYZE ONLY, which samples the
-- partitions for the parent's statistics and leaves the partitions' own to
-- autovacuum. Before 18, ANALYZE of a parent also re-analyzes every
-- partition, which costs more but is otherwise harmless.
--
-- Locks: SHARE UPDATE EXCLUSIVE on each parent (and, before 18, each
-- partition) until commit, which conflicts with partition_create's ATTACH
-- and with other ANALYZE/VACUUM, not with reads or writes.
-- Errors: HW060 bad partition_config.
CREATE OR REPLACE FUNCTION hewer.partition_analyze()
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_name text;
    v_only text := CASE WHEN current_setting('server_version_num')::integer >= 180000 THEN 'ONLY ' ELSE '' END;
BEGIN
    FOR v_name IN SELECT t.table_name FROM hewer._partition_tables() t LOOP
        EXECUTE format('ANALYZE %shewer.%I', v_only, v_name);
        RETURN NEXT v_name;
    END LOOP;
END
$$;
