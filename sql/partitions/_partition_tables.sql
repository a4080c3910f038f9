-- hewer._partition_tables()
--   -> (table_name, key_column, default_partition, period, period_ms, premake, retention)
--
-- The tables named in hewer.partition_config, checked and described for the
-- partition functions, in table_name order (the order in which every
-- partition function visits, and so locks, them).
--
-- key_column is the table's range key (id for the core tables);
-- default_partition is NULL when the table has none; period_ms is the
-- period in milliseconds.
--
-- Locks: none (catalog reads only).
-- Errors: HW060 when a configured table is not a range-partitioned table in
-- schema hewer with a single-column key, or its period has a month or year
-- part (months have no fixed length, so they cannot be aligned to the epoch).
CREATE OR REPLACE FUNCTION hewer._partition_tables()
RETURNS TABLE (table_name text, key_column text, default_partition text, period interval,
               period_ms bigint, premake integer, retention interval)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_cfg record;
    v_rel oid;
    v_kind "char";
    v_strategy "char";
    v_key text;
BEGIN
    FOR v_cfg IN
        SELECT c.table_name AS name, c.period AS every, c.premake AS ahead, c.retention AS keep
        FROM hewer.partition_config c
        ORDER BY c.table_name
    LOOP
        v_rel := to_regclass(format('hewer.%I', v_cfg.name));
        SELECT r.relkind INTO v_kind FROM pg_catalog.pg_class r WHERE r.oid = v_rel;
        IF v_rel IS NULL OR v_kind <> 'p' THEN
            RAISE EXCEPTION 'partition_config names "%", which is not a partitioned table in schema hewer',
                v_cfg.name
                USING ERRCODE = 'HW060',
                      HINT = 'Fix or delete that row of hewer.partition_config.';
        END IF;
        SELECT pt.partstrat, a.attname::text INTO v_strategy, v_key
        FROM pg_catalog.pg_partitioned_table pt
        LEFT JOIN pg_catalog.pg_attribute a
               ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0] AND pt.partnatts = 1
        WHERE pt.partrelid = v_rel;
        IF v_strategy <> 'r' OR v_key IS NULL THEN
            RAISE EXCEPTION 'hewer.% is not partitioned by range on a single column', v_cfg.name
                USING ERRCODE = 'HW060',
                      HINT = 'Only tables partitioned BY RANGE (id) can be managed; delete the '
                             'row of hewer.partition_config.';
        END IF;
        IF extract(year FROM v_cfg.every) <> 0 OR extract(month FROM v_cfg.every) <> 0 THEN
            RAISE EXCEPTION 'partition_config: the period of % is %, which has a month part', v_cfg.name, v_cfg.every
                USING ERRCODE = 'HW060',
                      HINT = 'Use a fixed length: minutes, hours or days (e.g. ''7 days'', not ''1 month'').';
        END IF;
        table_name := v_cfg.name;
        key_column := v_key;
        default_partition := (
            SELECT c.relname::text
            FROM pg_catalog.pg_inherits i
            JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = v_rel AND pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT');
        period := v_cfg.every;
        period_ms := (extract(epoch FROM v_cfg.every) * 1000)::bigint;
        premake := v_cfg.ahead;
        retention := v_cfg.keep;
        RETURN NEXT;
    END LOOP;
END
$$;
