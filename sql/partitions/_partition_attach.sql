-- hewer._partition_attach(table, key_column, default_partition, lo, hi, day_name)
--   -> the new partition's name
--
-- Creates the partition [lo, hi) of hewer.<table>: a standalone table LIKE the
-- parent (INCLUDING ALL: defaults, constraints, indexes, ...), into which the
-- rows that the default partition holds in that range are moved (inserted
-- here, deleted there, in this transaction), then ATTACHed. ATTACH finds the
-- parent's indexes already matched by the copied ones and adopts them.
--
-- Name: <table>_pYYYYMMDD when day_name (the caller's choice: a whole period
-- of whole days), else <table>_pYYYYMMDD_HH24MI; the start of the range in UTC.
--
-- Locks: the caller holds the partition_config rows' locks and has locked the
-- parent. This takes ACCESS EXCLUSIVE on the default partition, which ATTACH
-- needs anyway, before the move, so that no insert can slip a row into the
-- range between the move and the ATTACH. ATTACH itself takes SHARE UPDATE
-- EXCLUSIVE on the parent and scans the default partition to prove that none
-- of its rows belongs to the new range.
-- Errors: HW060 if the name would be longer than 63 bytes; HW061 if a
-- relation with the name already exists.
CREATE OR REPLACE FUNCTION hewer._partition_attach(
    p_table text, p_key text, p_default text, p_lo uuid, p_hi uuid, p_day_name boolean)
RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_name text;
    v_columns text;
    v_tablespace text;
    v_moved bigint := 0;
BEGIN
    v_name := p_table || '_p' || to_char(hewer.uuid_time(p_lo) AT TIME ZONE 'UTC',
                                         CASE WHEN p_day_name THEN 'YYYYMMDD' ELSE 'YYYYMMDD_HH24MI' END);
    IF octet_length(v_name) > 63 THEN
        RAISE EXCEPTION 'partition name % is longer than 63 bytes', v_name
            USING ERRCODE = 'HW060',
                  HINT = 'Partitioned table names must be at most 48 bytes long.';
    END IF;
    IF to_regclass(format('hewer.%I', v_name)) IS NOT NULL THEN
        RAISE EXCEPTION 'cannot create partition hewer.% for [%, %): a relation of that name already exists',
            v_name, hewer.uuid_time(p_lo), hewer.uuid_time(p_hi)
            USING ERRCODE = 'HW061',
                  HINT = 'It is not attached with this range (a table detached by hand?). '
                         'Attach it, rename it or drop it, then run partition_create again.';
    END IF;

    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
    INTO v_columns
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = to_regclass(format('hewer.%I', p_table))
      AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';
    SELECT t.spcname INTO v_tablespace
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_tablespace t ON t.oid = c.reltablespace
    WHERE c.oid = to_regclass(format('hewer.%I', p_table));

    EXECUTE format('CREATE TABLE hewer.%I (LIKE hewer.%I INCLUDING ALL)%s',
                   v_name, p_table,
                   CASE WHEN v_tablespace IS NOT NULL THEN format(' TABLESPACE %I', v_tablespace) ELSE '' END);
    IF p_default IS NOT NULL THEN
        EXECUTE format('LOCK TABLE hewer.%I IN ACCESS EXCLUSIVE MODE', p_default);
        -- A move, not a deletion: hewer._history_guard lets finished runs,
        -- tasks and task events leave the default partition while this is on.
        PERFORM set_config('hewer.moving_rows', 'on', true);
        -- v_columns is the table's column names, each through quote_ident
        -- above; the linter cannot follow that through string_agg.
        PERFORM hewer.plpgsql_check_pragma('disable:security_warnings');
        EXECUTE format(
            'WITH moved AS (DELETE FROM hewer.%1$I WHERE %2$I >= $1 AND %2$I < $2 RETURNING %3$s) '
            'INSERT INTO hewer.%4$I (%3$s) SELECT %3$s FROM moved',
            p_default, p_key, v_columns, v_name)
        USING p_lo, p_hi;
        GET DIAGNOSTICS v_moved = ROW_COUNT;
        PERFORM set_config('hewer.moving_rows', 'off', true);
    END IF;
    EXECUTE format('ALTER TABLE hewer.%I ATTACH PARTITION hewer.%I FOR VALUES FROM (%L) TO (%L)',
                   p_table, v_name, p_lo, p_hi);
    IF v_moved > 0 THEN
        RAISE NOTICE 'partition_create: moved % rows of hewer.% from hewer.% into the new partition hewer.%',
            v_moved, p_table, p_default, v_name;
    END IF;
    RETURN v_name;
END
$$;
