-- hewer.partition_create(now?) -> (table_name, partition, range_from, range_to)
--
-- Creates the partitions that are missing for every table in
-- hewer.partition_config: the period containing now and the next `premake`
-- periods, each aligned to the period counted from the Unix epoch in UTC
-- (1 day: midnight UTC to midnight UTC). Returns the partitions it created;
-- nothing when they all exist, so calling it again is harmless.
--
-- It also adopts the default partition's strays: when the default partition
-- holds rows from before the current period (partitions were missing when
-- they were written, e.g. maintenance was down for longer than `premake`
-- periods), the periods holding them get partitions too, up to 100 per table
-- per call, oldest first, so that those rows come under retention like any
-- other. Rows newer than the premade window wait in the default partition
-- until the window reaches them. Only strays within the table's retention
-- are adopted: so a table never has more partitions than its retention and
-- premake make, whatever times its rows carry (rows from older times stay
-- in the default partition, where `partition_status` counts them).
--
-- Rows that the default partition holds in a new partition's range are moved
-- into it in this transaction (see _partition_attach): nothing is ever lost.
--
-- Locks: first the rows of hewer.partition_config (FOR UPDATE, shared with
-- partition_drop), so that concurrent maintainers queue up instead of
-- colliding; no tenant role can read or lock that table. Then, per table that
-- gets partitions, its parent and then its default partition, until commit.
-- The default partition: ACCESS EXCLUSIVE (ATTACH needs it). The parent:
-- SHARE UPDATE EXCLUSIVE, which lets reads and writes go on, when all the new
-- partitions start more than a minute after now (and p_now) and the default
-- partition holds none of their rows: the steady state, premaking. Otherwise
-- ACCESS EXCLUSIVE, for the moment it takes: an insert into a range being
-- attached would otherwise be routed to the default partition, wait for its
-- lock, and then fail the default's new partition constraint (23514); behind
-- the parent's lock it waits and is then routed to the new partition.
-- Must run at READ COMMITTED, so that a caller who waited for that lock
-- sees what the previous holder created.
-- Errors: HW007 now is NULL or outside 1970-9999; HW062 not READ COMMITTED;
-- HW060 bad partition_config; HW061 a name is taken by a table that is not
-- the expected partition.
CREATE OR REPLACE FUNCTION hewer.partition_create(p_now timestamptz DEFAULT now())
RETURNS TABLE (table_name text, partition text, range_from timestamptz, range_to timestamptz)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_epoch CONSTANT timestamptz := '1970-01-01 00:00:00+00'::timestamptz;
    v_table record;
    v_gap record;
    v_now_ms bigint;
    v_start_ms bigint;
    v_window_lo uuid;
    v_period_lo uuid;
    v_period_hi uuid;
    v_cursor uuid;
    v_stray uuid;
    v_ms bigint;
    v_day_periods boolean;
    v_oldest uuid;
    v_los uuid[];
    v_his uuid[];
    v_whole boolean[];
    v_live boolean;
BEGIN
    IF p_now IS NULL OR NOT (p_now >= v_epoch AND p_now < '10000-01-01 00:00:00+00') THEN
        RAISE EXCEPTION 'partition_create: p_now is %', coalesce(p_now::text, 'NULL')
            USING ERRCODE = 'HW007', HINT = 'Omit it to use now(); it must lie between 1970 and 9999.';
    END IF;
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'partition_create: must run at READ COMMITTED, not %',
            upper(current_setting('transaction_isolation'))
            USING ERRCODE = 'HW062',
                  HINT = 'Call it in its own transaction or in autocommit mode.';
    END IF;
    -- One lock for all partition maintenance: the rows of hewer.partition_config,
    -- which no tenant role may read or lock (an advisory lock, any login could hold).
    PERFORM 1 FROM hewer.partition_config c ORDER BY c.table_name FOR UPDATE;

    v_now_ms := floor(extract(epoch FROM p_now) * 1000)::bigint;
    FOR v_table IN SELECT * FROM hewer._partition_tables() LOOP
        v_day_periods := v_table.period_ms % 86400000 = 0;
        v_start_ms := floor(v_now_ms::numeric / v_table.period_ms)::bigint * v_table.period_ms;
        v_window_lo := hewer.uuid_floor(v_epoch + v_start_ms * interval '1 millisecond');
        v_los := '{}';
        v_his := '{}';
        v_whole := '{}';

        -- Plan: the uncovered parts of the strays' periods, then of the window's,
        -- in ascending order.
        IF v_table.default_partition IS NOT NULL THEN
            v_cursor := NULL;
            -- The start of the oldest period still within retention.
            v_oldest := hewer.uuid_floor(v_epoch + greatest(v_start_ms - ceil(
                extract(epoch FROM v_table.retention) * 1000 / v_table.period_ms)::bigint
                * v_table.period_ms, 0) * interval '1 millisecond');
            FOR k IN 1 .. 100 LOOP
                EXECUTE format('SELECT %1$I FROM hewer.%2$I WHERE %1$I < $1 AND %1$I >= coalesce($2, $3) '
                               'ORDER BY %1$I LIMIT 1',
                               v_table.key_column, v_table.default_partition)
                INTO v_stray USING v_window_lo, v_cursor, v_oldest;
                EXIT WHEN v_stray IS NULL;
                -- A UUIDv7's first 48 bits are its time in milliseconds.
                v_ms := ('x' || left(replace(v_stray::text, '-', ''), 12))::bit(48)::bigint;
                v_ms := floor(v_ms::numeric / v_table.period_ms)::bigint * v_table.period_ms;
                v_period_lo := hewer.uuid_floor(v_epoch + v_ms * interval '1 millisecond');
                v_period_hi := hewer.uuid_floor(v_epoch + (v_ms + v_table.period_ms) * interval '1 millisecond');
                FOR v_gap IN SELECT * FROM hewer._partition_gaps(v_table.table_name, v_period_lo, v_period_hi) LOOP
                    v_los := v_los || v_gap.lo;
                    v_his := v_his || v_gap.hi;
                    v_whole := v_whole || (v_day_periods AND v_gap.lo = v_period_lo AND v_gap.hi = v_period_hi);
                END LOOP;
                v_cursor := v_period_hi;
            END LOOP;
        END IF;
        FOR k IN 0 .. v_table.premake LOOP
            v_period_lo := hewer.uuid_floor(
                v_epoch + (v_start_ms + k * v_table.period_ms) * interval '1 millisecond');
            v_period_hi := hewer.uuid_floor(
                v_epoch + (v_start_ms + (k + 1) * v_table.period_ms) * interval '1 millisecond');
            FOR v_gap IN SELECT * FROM hewer._partition_gaps(v_table.table_name, v_period_lo, v_period_hi) LOOP
                v_los := v_los || v_gap.lo;
                v_his := v_his || v_gap.hi;
                v_whole := v_whole || (v_day_periods AND v_gap.lo = v_period_lo AND v_gap.hi = v_period_hi);
            END LOOP;
        END LOOP;
        CONTINUE WHEN cardinality(v_los) = 0;

        -- Lock: the parent, then the default partition (in _partition_attach),
        -- each at the level it needs for all of this table's new partitions,
        -- so that no lock is ever upgraded.
        -- Live: a new partition has started, or is about to (inserts use the
        -- wall clock, p_now may lag it), or the default holds rows for them.
        v_live := v_los[1] <= hewer.uuid_floor(greatest(p_now, now()) + interval '1 minute');
        IF NOT v_live AND v_table.default_partition IS NOT NULL THEN
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM hewer.%1$I WHERE %2$I >= $1 AND %2$I < $2)',
                           v_table.default_partition, v_table.key_column)
            INTO v_live USING v_los[1], v_his[cardinality(v_his)];
        END IF;
        EXECUTE format('LOCK TABLE ONLY hewer.%I IN %s MODE', v_table.table_name,
                       CASE WHEN v_live THEN 'ACCESS EXCLUSIVE' ELSE 'SHARE UPDATE EXCLUSIVE' END);

        FOR k IN 1 .. cardinality(v_los) LOOP
            table_name := v_table.table_name;
            partition := hewer._partition_attach(v_table.table_name, v_table.key_column,
                                                 v_table.default_partition, v_los[k], v_his[k], v_whole[k]);
            range_from := hewer.uuid_time(v_los[k]);
            range_to := hewer.uuid_time(v_his[k]);
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;
