-- hewer._ownership_statements(owner) -> SETOF text
--
-- The ALTER ... OWNER TO statements that give every object of schema hewer
-- (tables and their partitions, views, standalone sequences, types,
-- functions) to `owner`, for the objects it does not own yet. Indexes and the
-- sequences of identity or serial columns follow their table. Run by
-- sql/privileges.sql on every load (owner hewer_owner: partitions made since,
-- and the objects of new migrations, change hands too) and by the rollback of
-- migration 8. Takes no locks itself; the statements it returns take ACCESS
-- EXCLUSIVE on each object that changes owner.
CREATE OR REPLACE FUNCTION hewer._ownership_statements(p_owner name)
RETURNS SETOF text
LANGUAGE sql STABLE
AS $$
    WITH owner AS (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = p_owner)
    SELECT pg_catalog.format('ALTER %s %s OWNER TO %I',
               CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                              WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                              ELSE 'TABLE' END,
               c.oid::pg_catalog.regclass, p_owner)
    FROM pg_catalog.pg_class c, owner o
    WHERE c.relnamespace = 'hewer'::pg_catalog.regnamespace
      AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
      AND c.relowner <> o.oid
      AND NOT (c.relkind = 'S' AND EXISTS (
          SELECT 1 FROM pg_catalog.pg_depend d
          WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
            AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
            AND d.deptype IN ('a', 'i')))
    UNION ALL
    SELECT pg_catalog.format('ALTER TYPE %s OWNER TO %I', t.oid::pg_catalog.regtype, p_owner)
    FROM pg_catalog.pg_type t, owner o
    WHERE t.typnamespace = 'hewer'::pg_catalog.regnamespace
      AND t.typowner <> o.oid
      AND (t.typtype IN ('e', 'd', 'r')
           OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                                           WHERE c.oid = t.typrelid AND c.relkind = 'c')))
    UNION ALL
    SELECT pg_catalog.format('ALTER %s %s OWNER TO %I',
               CASE p.prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
               p.oid::pg_catalog.regprocedure, p_owner)
    FROM pg_catalog.pg_proc p, owner o
    WHERE p.pronamespace = 'hewer'::pg_catalog.regnamespace
      AND p.proowner <> o.oid
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                        AND d.objid = p.oid AND d.deptype = 'e')
$$;
