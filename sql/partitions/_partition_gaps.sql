-- hewer._partition_gaps(table, lo, hi) -> (lo, hi)
--
-- The parts of the range [lo, hi) of hewer.<table> that no partition covers
-- (the default partition aside), in order. Normally the whole range or
-- nothing; pieces appear when the period was changed or a DBA attached
-- partitions by hand.
--
-- Locks: none (catalog reads only). Errors: none.
CREATE OR REPLACE FUNCTION hewer._partition_gaps(p_table text, p_lo uuid, p_hi uuid)
RETURNS TABLE (lo uuid, hi uuid)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_existing record;
    v_cursor uuid := p_lo;
BEGIN
    FOR v_existing IN
        SELECT p.lo AS elo, p.hi AS ehi
        FROM hewer._partitions(p_table) p
        WHERE NOT p.is_default
          AND (p.lo IS NULL OR p.lo < p_hi)
          AND (p.hi IS NULL OR p.hi > p_lo)
        ORDER BY p.lo NULLS FIRST
    LOOP
        IF v_existing.elo > v_cursor THEN
            lo := v_cursor;
            hi := v_existing.elo;
            RETURN NEXT;
        END IF;
        -- NULL upper bound: MAXVALUE covers the rest.
        v_cursor := CASE WHEN v_existing.ehi IS NULL THEN p_hi ELSE greatest(v_cursor, v_existing.ehi) END;
    END LOOP;
    IF v_cursor < p_hi THEN
        lo := v_cursor;
        hi := p_hi;
        RETURN NEXT;
    END IF;
END
$$;
