-- hewer._partitions(table) -> (partition, relid, is_default, lo, hi)
--
-- The partitions of hewer.<table> with their range bounds read back from the
-- catalog. lo/hi are the bounds as UUIDs; NULL means MINVALUE/MAXVALUE (or,
-- for the default partition, no range at all). Ordered by lo, the default
-- partition last.
--
-- Locks: none (catalog reads only). Errors: none; an unknown table gives no rows.
CREATE OR REPLACE FUNCTION hewer._partitions(p_table text)
RETURNS TABLE (partition text, relid oid, is_default boolean, lo uuid, hi uuid)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN QUERY
    SELECT c.relname::text,
           c.oid,
           b.expr = 'DEFAULT',
           -- A bound prints as a quoted literal ('0190...') or as MINVALUE/MAXVALUE.
           CASE WHEN m.parts[1] LIKE '''%''' THEN btrim(m.parts[1], '''')::uuid END,
           CASE WHEN m.parts[2] LIKE '''%''' THEN btrim(m.parts[2], '''')::uuid END
    FROM pg_catalog.pg_inherits i
    JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
    CROSS JOIN LATERAL pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS b(expr)
    LEFT JOIN LATERAL regexp_match(b.expr, '^FOR VALUES FROM \((.+)\) TO \((.+)\)$') AS m(parts) ON true
    WHERE i.inhparent = to_regclass(format('hewer.%I', p_table))
      AND c.relkind IN ('r', 'p')
    ORDER BY b.expr = 'DEFAULT', 4 NULLS FIRST;
END
$$;
