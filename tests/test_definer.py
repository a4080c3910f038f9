"""A tenant's own objects never stand in for the engine's inside definer code.

The client functions run as the schema's owner (SECURITY DEFINER). A tenant role may
create objects in its session's temporary schema: tables, views, functions, operators,
types. Where definer code resolves a name through the caller's session (an unqualified
relation or type found in pg_temp, a session temp table made by the function itself),
the tenant's object runs or is read with the owner's rights: the escalation this file
guards against.

As tenant A's role, the test first creates, in its temporary schema, an object named
after every relation, type, function and operator the definer functions reference: the
names are taken from the catalog (every relation and function of schemas hewer and pgmq,
with their argument types) and from the bodies of the definer functions and of all the
hewer functions they reach (every identifier, every called name, every operator symbol).
Each object records a hit when read, written or run (a temporary sequence, which no
rollback undoes, and a WARNING). Then A calls every function granted to tenant roles,
taken from the catalog, and the test shows that none of A's objects ran or was read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from pydispatch import paths
from tests.test_tenants import Tenant, _tenant

Conn = psycopg.Connection[Any]

HIT = "hewer_attack_hit"

# What one hit does: count it where no rollback reaches, and say which object.
_SETUP = f"""
SET search_path = pg_catalog, pg_temp;
CREATE TEMP SEQUENCE {HIT}s;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE pg_temp.{HIT}s TO PUBLIC;
CREATE FUNCTION pg_temp.{HIT}(p_name text) RETURNS boolean LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM pg_catalog.nextval('pg_temp.{HIT}s');
    RAISE WARNING 'ATTACK HIT: % as %', p_name, current_user;
    RETURN true;
END
$f$;
CREATE FUNCTION pg_temp.{HIT}_trg() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM pg_temp.{HIT}(TG_TABLE_NAME || ' ' || TG_OP);
    RETURN NULL;
END
$f$;
"""

# Types for the operators made under every symbol the bodies use.
_OPERATOR_TYPES = [
    "text", "jsonb", "uuid", "integer", "bigint", "numeric", "double precision",
    "timestamptz", "interval", "boolean", "text[]", "uuid[]", "jsonb[]", "bigint[]",
]  # fmt: skip

# The bodies of the definer functions and of every hewer function they reach.
_BODIES = """
WITH RECURSIVE reach(oid) AS (
    SELECT p.oid FROM pg_catalog.pg_proc p
    WHERE p.pronamespace = 'hewer'::regnamespace AND p.prosecdef
    UNION
    SELECT q.oid FROM reach r
    JOIN pg_catalog.pg_proc p ON p.oid = r.oid
    JOIN pg_catalog.pg_proc q ON q.pronamespace = 'hewer'::regnamespace
     AND p.prosrc ~* ('hewer\\.' || q.proname || '\\M')
)
SELECT p.proname, p.prosrc FROM reach JOIN pg_catalog.pg_proc p USING (oid)
UNION ALL
-- Trigger functions on hewer tables run inside the definer code that writes them.
SELECT p.proname, p.prosrc FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = 'hewer'::regnamespace AND NOT t.tgisinternal
"""

_CATALOG_RELATIONS = """
SELECT DISTINCT c.relname FROM pg_catalog.pg_class c
WHERE c.relnamespace IN ('hewer'::regnamespace, 'pgmq'::regnamespace)
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
"""

# Functions of hewer and pgmq, and the built-ins the bodies call, with signatures a
# tenant can declare again (no pseudo-types).
_CATALOG_FUNCTIONS = """
SELECT DISTINCT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args,
       pg_catalog.pg_get_function_result(p.oid) AS returns, p.proretset AS set
FROM pg_catalog.pg_proc p
WHERE p.prokind = 'f'
  AND (p.pronamespace IN ('hewer'::regnamespace, 'pgmq'::regnamespace)
       OR (p.pronamespace = 'pg_catalog'::regnamespace AND p.proname = ANY (%(called)s)))
  AND NOT EXISTS (
      SELECT 1 FROM unnest(p.proargtypes::oid[] || p.prorettype) AS a(t)
      JOIN pg_catalog.pg_type ty ON ty.oid = a.t
      WHERE ty.typtype = 'p' AND NOT (p.proretset AND ty.oid = 'record'::regtype))
"""

_KEYWORDS = "SELECT word FROM pg_catalog.pg_get_keywords() WHERE catcode IN ('R', 'T', 'C')"


def _names(admin: Conn) -> tuple[set[str], set[str], set[str]]:
    """(identifiers, called names, operator symbols) of the bodies the definer code runs."""
    bodies = [r["prosrc"] for r in admin.execute(_BODIES).fetchall()]
    text = "\n".join(re.sub(r"--[^\n]*", " ", b) for b in bodies)
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    called = {w.lower() for w in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", text)}
    symbols = set(
        re.findall(r"(?<![A-Za-z0-9_'])([<>=!~@#%^&|*+\-/?]{1,3})(?=[\s(A-Za-z0-9_'$])", text)
    )
    symbols -= {"--", "/*", "*/", "*", "=", "-", "+", "/", "%", "<", ">", "<=", ">=", "<>", "!="}
    keywords = {r["word"] for r in admin.execute(_KEYWORDS).fetchall()}
    idents = {w.lower() for w in words} - keywords
    return idents, called - keywords, symbols | {"=", "<>", "@>", "->>", "->", "#>>", "||", "?"}


def _arm(a: Conn, admin: Conn) -> dict[str, int]:
    """Create A's decoys; returns how many of each kind were made."""
    idents, called, symbols = _names(admin)
    relations = {r["relname"] for r in admin.execute(_CATALOG_RELATIONS).fetchall()}
    functions = admin.execute(_CATALOG_FUNCTIONS, {"called": sorted(called)}).fetchall()
    made = {"tables": 0, "views": 0, "functions": 0, "operators": 0}
    a.execute(_SETUP)

    def attempt(kind: str, statement: str) -> None:
        try:
            with a.transaction():
                a.execute(statement.encode())
        except psycopg.Error:
            return  # a name or signature a session cannot declare (e.g. a reserved word)
        made[kind] += 1

    # Relations and their row types: a table, read through a forced row-level
    # security policy and written through a trigger, for every catalog relation and
    # every identifier; then a view for each identifier again under another case.
    for name in sorted(relations | idents):
        q = psycopg.sql.Identifier(name).as_string(a)
        lit = psycopg.sql.Literal(name).as_string(a)
        attempt(
            "tables",
            f"CREATE TEMP TABLE {q} (id uuid, tenant_id uuid, name text, input jsonb, x text);"  # noqa: S608 - names quoted by psycopg.sql
            f"GRANT ALL ON pg_temp.{q} TO PUBLIC;"
            f"INSERT INTO pg_temp.{q} (x) VALUES ('decoy');"
            f"ALTER TABLE pg_temp.{q} ENABLE ROW LEVEL SECURITY;"
            f"ALTER TABLE pg_temp.{q} FORCE ROW LEVEL SECURITY;"
            f"CREATE POLICY p ON pg_temp.{q} USING (pg_temp.{HIT}({lit}))"
            f" WITH CHECK (pg_temp.{HIT}({lit}));"
            f"CREATE TRIGGER t BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON pg_temp.{q}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.{HIT}_trg();",
        )
        upper = name.upper()
        if upper != name:
            uq = psycopg.sql.Identifier(upper).as_string(a)
            ulit = psycopg.sql.Literal(upper).as_string(a)
            attempt(
                "views",
                f"CREATE TEMP VIEW {uq} AS SELECT pg_temp.{HIT}({ulit}) AS hit;"
                f"GRANT ALL ON pg_temp.{uq} TO PUBLIC;",
            )
    # Functions: the same names and argument types as hewer's, pgmq's and the
    # built-ins the bodies call; each returns its type's NULL after a hit.
    for f in functions:
        q = psycopg.sql.Identifier(f["proname"]).as_string(a)
        lit = psycopg.sql.Literal(f["proname"]).as_string(a)
        attempt(
            "functions",
            f"CREATE FUNCTION pg_temp.{q}({f['args']}) RETURNS {f['returns']} LANGUAGE plpgsql AS"
            f" $f$ BEGIN PERFORM pg_temp.{HIT}('function ' || {lit});"
            f" RETURN{'' if f['set'] else ' NULL'}; END $f$;"
            f"GRANT EXECUTE ON FUNCTION pg_temp.{q}({f['args']}) TO PUBLIC;",
        )
    # Operators: every symbol the bodies use, over the common types.
    for i, left in enumerate(_OPERATOR_TYPES):
        for j, right in enumerate(_OPERATOR_TYPES):
            fn = f"{HIT}_op_{i}_{j}"
            a.execute(
                f"CREATE FUNCTION pg_temp.{fn}({left}, {right}) RETURNS boolean LANGUAGE sql"
                f" AS $f$ SELECT pg_temp.{HIT}('operator') $f$".encode()
            )
            for symbol in sorted(symbols):
                attempt(
                    "operators",
                    f"CREATE OPERATOR pg_temp.{symbol} (LEFTARG = {left}, RIGHTARG = {right},"
                    f" FUNCTION = pg_temp.{fn})",
                )
    return made


def _hits(a: Conn) -> int:
    row = a.execute(f"SELECT last_value, is_called FROM pg_temp.{HIT}s").fetchone()  # noqa: S608
    assert row is not None
    return int(row["last_value"]) if row["is_called"] else 0


SPEC = {
    "concurrency": {"key": "input.k", "max": 5},
    "on_events": ["order.*"],
    "cron": ["*/5 * * * *", {"expression": "0 * * * *", "input": {"k": 3}}],
    "steps": [
        {
            "name": "a",
            "concurrency": {"key": "input.k", "max": 3},
            "rate_limits": [{"limit": "rl", "key": "input.k"}],
        },
        {"name": "b", "parents": ["a"]},
    ],
}


def _one(a: Conn, statement: str, params: Any = None) -> dict[str, Any]:
    row = a.execute(statement, params).fetchone()
    assert row is not None, statement
    return dict(row)


def _call_every_client_function(a: Conn) -> set[str]:
    """As tenant A: a whole workflow's life, through every client function; the names called."""
    called: list[str] = []

    def call(name: str, statement: str, params: Any = None) -> list[dict[str, Any]]:
        called.append(name)
        return [dict(r) for r in a.execute(statement, params).fetchall()]

    call("current_tenant", "SELECT hewer.current_tenant()")
    call("_trusted", "SELECT hewer._trusted()")
    call("uuidv7", "SELECT hewer.uuidv7(now())")
    call("uuid_floor", "SELECT hewer.uuid_floor(now())")
    call("uuid_time", "SELECT hewer.uuid_time(hewer.uuidv7(now()))")
    call("notify_tag", "SELECT hewer.notify_tag('x')")
    call("error_codes", "SELECT count(*) FROM hewer.error_codes()")
    call("tenant_list", "SELECT * FROM hewer.tenant_list()")
    call("rate_limit_set", "SELECT * FROM hewer.rate_limit_set('rl', 100)")
    call("rate_limit_set", "SELECT * FROM hewer.rate_limit_set('gone', 5)")
    call("rate_limit_delete", "SELECT * FROM hewer.rate_limit_delete('gone')")
    call("rate_limit_list", "SELECT * FROM hewer.rate_limit_list()")
    call("concurrency_limit_set", "SELECT * FROM hewer.concurrency_limit_set('action', 'wf:a', 5)")
    call("concurrency_limit_list", "SELECT * FROM hewer.concurrency_limit_list()")
    call("workflow_register", "SELECT * FROM hewer.workflow_register('wf', %s)", (Jsonb(SPEC),))
    spec2 = {**SPEC, "cron": ["*/10 * * * *"]}
    call("workflow_register", "SELECT * FROM hewer.workflow_register('wf', %s)", (Jsonb(spec2),))
    call("workflow_register", "SELECT * FROM hewer.workflow_register('kid', %s)",
         (Jsonb({"steps": [{"name": "s"}]}),))  # fmt: skip
    call("workflow_get", "SELECT * FROM hewer.workflow_get('wf')")
    call("workflow_list", "SELECT * FROM hewer.workflow_list()")
    call("workflow_versions", "SELECT * FROM hewer.workflow_versions('wf')")
    call("workflow_rollback", "SELECT * FROM hewer.workflow_rollback('wf', 1)")
    call("cel_key_eval", "SELECT hewer.cel_key_eval('input.k', '{\"k\": 1}')")
    filter_id = call("filter_create", "SELECT hewer.filter_create('wf', 'event.k > 1') AS id")[0][
        "id"
    ]
    call("filter_update", "SELECT hewer.filter_update(%s, 'event.k > 2')", (filter_id,))
    call("filter_list", "SELECT * FROM hewer.filter_list('wf')")
    call("filter_delete", "SELECT hewer.filter_delete(%s)", (filter_id,))
    runs = call(
        "run_trigger",
        "SELECT * FROM hewer.run_trigger('wf', ARRAY['{\"k\": 1}', '{\"k\": 2}']::jsonb[],"
        " p_idempotency_keys => ARRAY['i1', NULL],"
        " p_metadata => ARRAY['{\"m\": 1}', '{}']::jsonb[])",
    )
    run_ids = [r["run_id"] for r in runs]
    call("run_get", "SELECT * FROM hewer.run_get(%s::uuid[])", (run_ids,))
    call("run_list", "SELECT * FROM hewer.run_list()")
    call("runs_by_metadata", "SELECT * FROM hewer.runs_by_metadata('{\"m\": 1}')")
    call("run_events", "SELECT * FROM hewer.run_events(%s)", (run_ids[0],))
    call("run_lineage", "SELECT * FROM hewer.run_lineage(%s)", (run_ids[0],))
    worker = call(
        "worker_register",
        "SELECT hewer.worker_register('w', ARRAY['wf:a', 'wf:b', 'kid:s'], 4,"
        " '{\"gpu\": true}') AS id",
    )[0]["id"]
    call("worker_heartbeat", "SELECT * FROM hewer.worker_heartbeat(ARRAY[%s::uuid])", (worker,))
    call("worker_disconnect", "SELECT * FROM hewer.worker_disconnect(ARRAY[%s::uuid])", (worker,))
    call("worker_heartbeat", "SELECT * FROM hewer.worker_heartbeat(ARRAY[%s::uuid])", (worker,))
    call("worker_get", "SELECT * FROM hewer.worker_get(ARRAY[%s::uuid])", (worker,))
    listed = call("worker_list", "SELECT * FROM hewer.worker_list()")
    assert [w["worker_id"] for w in listed] == [worker], listed
    claimed = call("task_claim", "SELECT * FROM hewer.task_claim(%s, 2)", (worker,))
    assert len(claimed) == 2, claimed
    ids = [c["task_id"] for c in claimed]
    attempts = [c["attempt"] for c in claimed]
    call("task_start", "SELECT * FROM hewer.task_start(%s::uuid[], %s::int[])", (ids, attempts))
    call(
        "task_heartbeat",
        "SELECT * FROM hewer.task_heartbeat(%s::uuid[], %s::int[], interval '1 minute')",
        (ids, attempts),
    )
    call(
        "task_log",
        "SELECT * FROM hewer.task_log(%s::uuid[], %s::int[], ARRAY['warn', 'info'],"
        " ARRAY['x' || repeat('y', 20000), 'z'], ARRAY[now(), NULL], ARRAY[%s::uuid, NULL])",
        (ids, attempts, worker),
    )
    call("run_logs", "SELECT * FROM hewer.run_logs(%s, NULL, 10)", (run_ids[0],))
    call(
        "task_stream",
        "SELECT * FROM hewer.task_stream(%s::uuid[], %s::int[], ARRAY[1, 1]::bigint[],"
        " ARRAY['tok', 'en'], ARRAY[%s::uuid, NULL])",
        (ids, attempts, worker),
    )
    call("run_output", "SELECT * FROM hewer.run_output(%s, NULL, NULL, 10)", (run_ids[0],))
    kids = call(
        "run_spawn",
        "SELECT * FROM hewer.run_spawn(%s, %s, 'kid', ARRAY['{}']::jsonb[], ARRAY['c1'])",
        (ids[0], attempts[0]),
    )
    call("run_children", "SELECT * FROM hewer.run_children(%s::uuid[])", (run_ids,))
    call(
        "task_complete",
        "SELECT * FROM hewer.task_complete(ARRAY[%s::uuid], ARRAY[%s::int],"
        " ARRAY['{\"ok\": 1}']::jsonb[])",
        (ids[0], attempts[0]),
    )
    call(
        "task_fail",
        "SELECT * FROM hewer.task_fail(ARRAY[%s::uuid], ARRAY[%s::int],"
        " ARRAY['{\"e\": 1}']::jsonb[], ARRAY[false])",
        (ids[1], attempts[1]),
    )
    call("task_history", "SELECT * FROM hewer.task_history(%s::uuid[])", (ids,))
    call("task_cancellations", "SELECT * FROM hewer.task_cancellations(ARRAY[%s::uuid])", (worker,))
    call("run_cancel", "SELECT * FROM hewer.run_cancel(%s::uuid[])", ([kids[0]["run_id"]],))
    call("run_replay", "SELECT * FROM hewer.run_replay(ARRAY[%s::uuid])", (run_ids[1],))
    call("run_cancel_matching", "SELECT * FROM hewer.run_cancel_matching(p_workflow => 'wf')")
    event = call("push_event", "SELECT hewer.push_event('order.made', '{\"k\": 7}') AS id")[0]["id"]
    call(
        "push_events",
        "SELECT * FROM hewer.push_events(ARRAY['order.a', 'order.b'], ARRAY['{}', '{}']::jsonb[])",
    )
    call("event_matches", "SELECT * FROM hewer.event_matches(ARRAY[%s::uuid])", (event,))
    events = call("event_list", "SELECT * FROM hewer.event_list()")
    assert event in [e["event_id"] for e in events], events
    call("cron_create", "SELECT hewer.cron_create('wf', 'nightly', '0 3 * * *', '{\"k\": 1}')")
    call("cron_list", "SELECT * FROM hewer.cron_list('wf')")
    call("cron_delete", "SELECT * FROM hewer.cron_delete('wf', 'nightly')")
    schedule = call(
        "run_schedule",
        "SELECT hewer.run_schedule('wf', '{\"k\": 4}', now() + interval '1 hour') AS id",
    )[0]["id"]
    pending = call("schedule_list", "SELECT * FROM hewer.schedule_list('wf')")
    assert [p["schedule_id"] for p in pending] == [schedule], pending
    call("schedule_cancel", "SELECT * FROM hewer.schedule_cancel(%s)", (schedule,))
    token = call("token_create", "SELECT * FROM hewer.token_create('t1')")[0]
    call("token_list", "SELECT * FROM hewer.token_list()")
    call("token_revoke", "SELECT * FROM hewer.token_revoke(%s)", (token["token_id"],))
    call("worker_stop", "SELECT * FROM hewer.worker_stop(ARRAY[%s::uuid])", (worker,))
    call("quarantine_list", "SELECT * FROM hewer.quarantine_list()")
    called.append("quarantine_release")
    with pytest.raises(psycopg.Error) as refused:
        a.execute("SELECT hewer.quarantine_release('cron', 'no-such-cron')")
    assert refused.value.sqlstate == "HW100"
    return set(called)


def test_a_tenants_session_objects_never_run_or_are_read_inside_definer_code(
    dsn: str, conn: Conn, roles: Callable[[], str]
) -> None:
    a: Tenant = _tenant(dsn, conn, roles, "acme")
    try:
        _attack(a, conn)
    finally:
        a.conn.execute("DISCARD TEMP")  # the role is dropped next: its objects go first
        a.conn.close()


def _attack(a: Tenant, conn: Conn) -> None:
    warnings: list[str] = []
    a.conn.add_notice_handler(lambda d: warnings.append(str(d.message_primary)))
    made = _arm(a.conn, conn)
    # Every kind of decoy exists, in the hundreds (reserved words and pseudo-typed
    # signatures are what a session cannot declare).
    assert made["tables"] > 300 and made["views"] > 300, made
    assert made["functions"] > 200 and made["operators"] > 300, made
    a.conn.execute("SET search_path = pg_catalog, pg_temp")

    # The decoys work: read as A itself, one counts a hit.
    assert _hits(a.conn) == 0
    a.conn.execute("SELECT count(*) FROM pg_temp.runs")
    assert _hits(a.conn) == 1
    warnings.clear()

    try:
        called = _call_every_client_function(a.conn)
    finally:
        # Checked first, even when a call failed: a decoy may have run before the error.
        assert [w for w in warnings if "ATTACK HIT" in w] == []
        assert _hits(a.conn) == 1
    granted = {
        r["proname"]
        for r in conn.execute(
            "SELECT p.proname FROM pg_catalog.pg_proc p"
            " WHERE p.pronamespace = 'hewer'::regnamespace"
            " AND has_function_privilege('hewer_client', p.oid, 'EXECUTE')"
        ).fetchall()
    }
    assert granted - called == set(), "client functions this test does not call yet"


def test_definer_functions_run_as_a_role_that_is_no_superuser_and_cannot_log_in(
    conn: Conn,
) -> None:
    owner = _one(
        conn,
        "SELECT r.rolname, r.rolsuper, r.rolcanlogin, r.rolbypassrls, r.rolcreaterole"
        " FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid = n.nspowner"
        " WHERE n.nspname = 'hewer'",
    )
    assert owner == {
        "rolname": "hewer_owner",
        "rolsuper": False,
        "rolcanlogin": False,
        "rolbypassrls": False,
        "rolcreaterole": False,
    }
    others = conn.execute(
        "SELECT 'function ' || p.oid::regprocedure AS what FROM pg_catalog.pg_proc p"
        " WHERE p.pronamespace = 'hewer'::regnamespace AND p.proowner <> 'hewer_owner'::regrole"
        " UNION ALL SELECT 'relation ' || c.oid::regclass FROM pg_catalog.pg_class c"
        " WHERE c.relnamespace = 'hewer'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S')"
        " AND c.relowner <> 'hewer_owner'::regrole"
    ).fetchall()
    assert others == []
    # Every definer function pins its search_path, pg_temp last.
    unpinned = conn.execute(
        "SELECT p.oid::regprocedure::text AS fn, p.proconfig FROM pg_catalog.pg_proc p"
        " WHERE p.pronamespace = 'hewer'::regnamespace AND p.prosecdef"
        " AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)"
    ).fetchall()
    assert unpinned == []
    # A partition made by the leader's upkeep belongs to the owner as well.
    made = conn.execute(
        "SELECT * FROM hewer.partition_create(now() + interval '20 days')"
    ).fetchall()
    assert made, "partition_create made no partition 20 days ahead"
    owners = {
        _one(conn, "SELECT pg_get_userbyid(relowner) AS o FROM pg_class WHERE oid = %s::regclass",
             (f"hewer.{m['partition']}",))["o"]
        for m in made
    }  # fmt: skip
    assert owners == {"hewer_owner"}


@pytest.mark.parametrize("attribute", ["LOGIN", "SUPERUSER", "BYPASSRLS", "CREATEROLE"])
def test_migration_8_refuses_an_owner_role_with_more_rights_than_the_schema(
    conn: Conn, attribute: str
) -> None:
    migration = (paths.migrations_dir() / "0008_schema_owner.sql").read_text()
    conn.execute(psycopg.sql.SQL("ALTER ROLE hewer_owner {}").format(psycopg.sql.SQL(attribute)))
    try:
        with pytest.raises(psycopg.errors.RaiseException) as caught, conn.transaction():
            conn.execute(migration.encode())
    finally:
        conn.execute(
            psycopg.sql.SQL("ALTER ROLE hewer_owner {}").format(psycopg.sql.SQL("NO" + attribute))
        )
    assert "hewer_owner may log in or holds" in str(caught.value)
    assert caught.value.diag.message_hint is not None
    assert "ALTER ROLE hewer_owner NOLOGIN NOSUPERUSER" in caught.value.diag.message_hint
