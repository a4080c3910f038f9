-- hewer.partition_status(exact?) -> (table_name, partition, range_from, range_to, rows, bytes)
--
-- Every partition of every table in hewer.partition_config, the default
-- partition included (its range is NULL), ordered by table, then range, the
-- default last. A range bounded by MINVALUE/MAXVALUE shows -infinity/infinity.
-- rows: with exact, count(*) of each partition (reads them all); otherwise
-- the planner's estimate from the last VACUUM/ANALYZE (0 if never analyzed).
-- bytes: pg_total_relation_size (table, indexes and TOAST).
--
-- Locks: ACCESS SHARE on each partition when exact (a count waits behind a
-- DETACH in progress); none otherwise.
-- Errors: HW007 exact is NULL; HW060 bad partition_config.
CREATE OR REPLACE FUNCTION hewer.partition_status(p_exact boolean DEFAULT false)
RETURNS TABLE (table_name text, partition text, range_from timestamptz, range_to timestamptz,
               rows bigint, bytes bigint)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_table record;
    v_part record;
BEGIN
    IF p_exact IS NULL THEN
        RAISE EXCEPTION 'partition_status: p_exact is NULL'
            USING ERRCODE = 'HW007', HINT = 'Pass true for exact row counts, false (the default) for estimates.';
    END IF;
    FOR v_table IN SELECT t.table_name AS name FROM hewer._partition_tables() t LOOP
        FOR v_part IN
            SELECT p.partition AS pname, p.relid AS prelid, p.is_default AS pdefault, p.lo AS plo, p.hi AS phi
            FROM hewer._partitions(v_table.name) p
        LOOP
            table_name := v_table.name;
            partition := v_part.pname;
            IF v_part.pdefault THEN
                range_from := NULL;
                range_to := NULL;
            ELSE
                range_from := CASE WHEN v_part.plo IS NULL THEN '-infinity' ELSE hewer.uuid_time(v_part.plo) END;
                range_to := CASE WHEN v_part.phi IS NULL THEN 'infinity' ELSE hewer.uuid_time(v_part.phi) END;
            END IF;
            IF p_exact THEN
                EXECUTE format('SELECT count(*) FROM hewer.%I', v_part.pname) INTO rows;
            ELSE
                SELECT greatest(c.reltuples, 0)::bigint INTO rows
                FROM pg_catalog.pg_class c WHERE c.oid = v_part.prelid;
            END IF;
            bytes := pg_catalog.pg_total_relation_size(v_part.prelid);
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;
