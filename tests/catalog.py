"""A comparable snapshot of everything a schema defines, read from the system catalogs.

Two databases built differently (sql/schema.sql vs migrations/) must give equal
snapshots. Object identities only, never OIDs, so snapshots from different
databases compare directly.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

SCHEMAS = ("hewer", "pgmq")

QUERIES: dict[str, str] = {
    "schemas": """
        SELECT n.nspname, pg_get_userbyid(n.nspowner) AS owner, n.nspacl::text AS acl
        FROM pg_namespace n WHERE n.nspname = ANY(%(schemas)s)
    """,
    "relations": """
        SELECT n.nspname, c.relname, c.relkind, c.relpersistence, c.relispartition,
               c.relrowsecurity, c.relforcerowsecurity, c.reloptions::text AS reloptions,
               c.relacl::text AS acl,
               pg_get_expr(c.relpartbound, c.oid) AS partition_bound,
               CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
               (SELECT pn.nspname || '.' || pc.relname FROM pg_inherits i
                  JOIN pg_class pc ON pc.oid = i.inhparent
                  JOIN pg_namespace pn ON pn.oid = pc.relnamespace
                 WHERE i.inhrelid = c.oid) AS parent
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%(schemas)s) AND c.relkind <> 'i' AND c.relkind <> 'I'
    """,
    "columns": """
        SELECT n.nspname, c.relname,
               row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum) AS position,
               a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid) AS default, a.attidentity, a.attgenerated,
               co.collname AS collation, a.attacl::text AS acl
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
             AND co.collname <> 'default'
        WHERE n.nspname = ANY(%(schemas)s) AND a.attnum > 0 AND NOT a.attisdropped
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
    """,
    "constraints": """
        SELECT n.nspname, coalesce(c.relname, t.typname) AS owner_name, con.conname,
               con.contype, pg_get_constraintdef(con.oid) AS definition,
               con.condeferrable, con.condeferred, con.convalidated
        FROM pg_constraint con
        JOIN pg_namespace n ON n.oid = con.connamespace
        LEFT JOIN pg_class c ON c.oid = con.conrelid
        LEFT JOIN pg_type t ON t.oid = con.contypid
        WHERE n.nspname = ANY(%(schemas)s)
    """,
    "indexes": """
        SELECT n.nspname, c.relname AS table_name, i.relname AS index_name,
               pg_get_indexdef(i.oid) AS definition, x.indisprimary, x.indisunique,
               x.indisvalid, x.indisclustered, x.indnullsnotdistinct
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class c ON c.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = i.relnamespace
        WHERE n.nspname = ANY(%(schemas)s)
    """,
    "sequences": """
        SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL) AS type, s.seqstart,
               s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle
        FROM pg_sequence s
        JOIN pg_class c ON c.oid = s.seqrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%(schemas)s)
    """,
    "types": """
        SELECT n.nspname, t.typname, t.typtype, t.typcategory, t.typnotnull,
               format_type(t.typbasetype, t.typtypmod) AS base_type, t.typdefault,
               (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder)
                  FROM pg_enum e WHERE e.enumtypid = t.oid) AS enum_labels
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = ANY(%(schemas)s)
    """,
    "functions": """
        SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid) AS args,
               p.prokind,
               CASE WHEN p.prokind = 'a' THEN NULL ELSE pg_get_functiondef(p.oid) END
                   AS definition,
               pg_get_function_result(p.oid) AS result,
               pg_get_userbyid(p.proowner) AS owner, p.proacl::text AS acl
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = ANY(%(schemas)s)
    """,
    "views": """
        SELECT n.nspname, c.relname, c.relkind, pg_get_viewdef(c.oid) AS definition
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('v', 'm')
    """,
    "triggers": """
        SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid) AS definition,
               t.tgenabled
        FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%(schemas)s) AND NOT t.tgisinternal
    """,
    "policies": """
        SELECT n.nspname, c.relname, p.polname, p.polcmd, p.polpermissive,
               (SELECT array_agg(pg_get_userbyid(r) ORDER BY 1) FROM unnest(p.polroles) r)
                   AS roles,
               pg_get_expr(p.polqual, p.polrelid) AS using_expr,
               pg_get_expr(p.polwithcheck, p.polrelid) AS check_expr
        FROM pg_policy p
        JOIN pg_class c ON c.oid = p.polrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY(%(schemas)s)
    """,
    "comments": """
        SELECT o.type, o.identity, d.description
        FROM pg_description d
        CROSS JOIN LATERAL pg_identify_object(d.classoid, d.objoid, d.objsubid) o
        WHERE o.schema = ANY(%(schemas)s)
           OR (o.type = 'schema' AND o.identity = ANY(%(schemas)s))
    """,
    "extensions": """
        SELECT e.extname, e.extversion, n.nspname
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE n.nspname = ANY(%(schemas)s)
    """,
    # Configuration rows the schema seeds: part of what a build must produce.
    "seed_data": """
        SELECT 'meta' AS source, to_jsonb(m) AS data FROM hewer.meta m
        UNION ALL
        SELECT 'partition_config', to_jsonb(p) FROM hewer.partition_config p
        UNION ALL
        SELECT 'tenants', jsonb_build_object('id', t.id, 'name', t.name) FROM hewer.tenants t
    """,
}


def snapshot(conn: psycopg.Connection[Any]) -> dict[str, list[dict[str, Any]]]:
    """Every catalog fact about schemas hewer and pgmq, each list sorted."""
    result: dict[str, list[dict[str, Any]]] = {}
    with conn.cursor(row_factory=dict_row) as cur:
        for name, query in QUERIES.items():
            if name == "seed_data" and not _has_hewer(conn):
                result[name] = []
                continue
            cur.execute(query.encode(), {"schemas": list(SCHEMAS)})
            rows = cur.fetchall()
            result[name] = sorted(rows, key=lambda r: repr(sorted(r.items(), key=str)))
    return result


def diff(left: dict[str, list[dict[str, Any]]], right: dict[str, list[dict[str, Any]]]) -> str:
    """A readable account of where two snapshots differ ('' when equal)."""
    out: list[str] = []
    for name in QUERIES:
        a = {repr(r) for r in left.get(name, [])}
        b = {repr(r) for r in right.get(name, [])}
        out += [f"{name}: only in first:  {r}" for r in sorted(a - b)]
        out += [f"{name}: only in second: {r}" for r in sorted(b - a)]
    return "\n".join(out)


def _has_hewer(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT to_regclass('hewer.meta') IS NOT NULL").fetchone()
    assert row is not None
    return bool(row[0] if not isinstance(row, dict) else next(iter(row.values())))
