-- hewer.partition_drop(now?) -> (table_name, partition, range_from, range_to)
--
-- Drops, for every table in hewer.partition_config, the partitions that lie
-- wholly before now - retention (upper bound <= now - retention), oldest
-- first: DETACH, then DROP. Returns what it dropped. The default partition is
-- never dropped, nor is a partition bounded by MAXVALUE.
--
-- Work in flight is never dropped: a runs partition that still holds a
-- queued or running run, or a tasks partition that still holds a pending,
-- waiting, queued, assigned or running task, is kept with a NOTICE naming it, and is
-- dropped by a later call once that work has finished. The check runs once
-- without locks (so busy partitions cost no lock) and again after the DETACH,
-- under its lock, so a row revived in between cannot be lost.
--
-- Locks: the rows of hewer.partition_config (shared with partition_create); then
-- DETACH takes ACCESS EXCLUSIVE on the parent, the partition and the default
-- partition, held until commit: keep the transaction short. Each partition is handled in a
-- subtransaction: if a lock cannot be had within the caller's lock_timeout,
-- a deadlock is detected or something depends on the partition (a view), that
-- partition is skipped with a NOTICE and the others proceed. Must run at
-- READ COMMITTED.
-- Errors: HW007 now is NULL or outside 1970-9999; HW062 not READ COMMITTED;
-- HW060 bad partition_config.
CREATE OR REPLACE FUNCTION hewer.partition_drop(p_now timestamptz DEFAULT now())
RETURNS TABLE (table_name text, partition text, range_from timestamptz, range_to timestamptz)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_epoch CONSTANT timestamptz := '1970-01-01 00:00:00+00'::timestamptz;
    v_table record;
    v_part record;
    v_active text;
    v_busy boolean;
BEGIN
    IF p_now IS NULL OR NOT (p_now >= v_epoch AND p_now < '10000-01-01 00:00:00+00') THEN
        RAISE EXCEPTION 'partition_drop: p_now is %', coalesce(p_now::text, 'NULL')
            USING ERRCODE = 'HW007', HINT = 'Omit it to use now(); it must lie between 1970 and 9999.';
    END IF;
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'partition_drop: must run at READ COMMITTED, not %',
            upper(current_setting('transaction_isolation'))
            USING ERRCODE = 'HW062',
                  HINT = 'Call it in its own transaction or in autocommit mode.';
    END IF;
    PERFORM 1 FROM hewer.partition_config c ORDER BY c.table_name FOR UPDATE;  -- as partition_create

    FOR v_table IN SELECT * FROM hewer._partition_tables() LOOP
        -- The rows that mean work in flight, for the tables that have any.
        v_active := CASE v_table.table_name
            WHEN 'runs' THEN $q$status IN ('queued', 'running')$q$
            WHEN 'tasks' THEN $q$status IN ('pending', 'waiting', 'queued', 'assigned', 'running')$q$
        END;
        FOR v_part IN
            SELECT p.partition AS name, p.lo AS plo, p.hi AS phi
            FROM hewer._partitions(v_table.table_name) p
            WHERE NOT p.is_default
              -- (UUIDv7 cannot express times before 1970)
              AND p.hi <= hewer.uuid_floor(greatest(p_now - v_table.retention, v_epoch))
            ORDER BY p.lo NULLS FIRST
        LOOP
            IF v_active IS NOT NULL THEN
                EXECUTE format('SELECT EXISTS (SELECT 1 FROM hewer.%I WHERE %s)', v_part.name, v_active)
                INTO v_busy;
                IF v_busy THEN
                    RAISE NOTICE 'partition_drop: keeping hewer.% past retention: it still holds unfinished %',
                        v_part.name, v_table.table_name;
                    CONTINUE;
                END IF;
            END IF;
            BEGIN
                EXECUTE format('ALTER TABLE hewer.%I DETACH PARTITION hewer.%I',
                               v_table.table_name, v_part.name);
                IF v_active IS NOT NULL THEN
                    EXECUTE format('SELECT EXISTS (SELECT 1 FROM hewer.%I WHERE %s)', v_part.name, v_active)
                    INTO v_busy;
                    IF v_busy THEN
                        -- Undo the DETACH (and release its locks) by failing the subtransaction.
                        RAISE EXCEPTION 'it holds % that became active again', v_table.table_name
                            USING ERRCODE = 'object_in_use';
                    END IF;
                END IF;
                EXECUTE format('DROP TABLE hewer.%I', v_part.name);
                IF v_table.table_name = 'runs' THEN
                    -- Keys of runs that no longer exist would return a run id nobody can read.
                    DELETE FROM hewer.idempotency_keys k
                    WHERE k.run_id < v_part.phi AND (v_part.plo IS NULL OR k.run_id >= v_part.plo);
                END IF;
            EXCEPTION
                WHEN lock_not_available OR deadlock_detected OR object_in_use
                     OR dependent_objects_still_exist THEN
                    RAISE NOTICE 'partition_drop: keeping hewer.% past retention for now: %',
                        v_part.name, SQLERRM;
                    CONTINUE;
            END;
            table_name := v_table.table_name;
            partition := v_part.name;
            range_from := CASE WHEN v_part.plo IS NULL THEN '-infinity' ELSE hewer.uuid_time(v_part.plo) END;
            range_to := hewer.uuid_time(v_part.phi);
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;
