-- The payload lifecycle (docs/payloads.md): the leader's offloader moves large
-- payloads written inline into the object store once their owner is done, and
-- its collector forgets references no row holds any more so that their objects
-- can be deleted. Trusted roles only (none of these is granted to tenants); the
-- Python half (uploads, listing and deleting objects) is pydispatch/payload_upkeep.py.

-- hewer._payload_column(owner_table) -> the payload column of an owner table.
CREATE OR REPLACE FUNCTION hewer._payload_column(p_owner_table text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE p_owner_table WHEN 'runs' THEN 'input' WHEN 'tasks' THEN 'output'
                              WHEN 'events' THEN 'payload' END
$$;

-- hewer.payload_offload_due(limit, retry, event_age, now?) -> (owner_table,
-- owner_id, tenant_id, kind, size): the candidates (hewer.payload_candidates)
-- due now whose owner is done, at most `limit`, oldest due first, for the
-- offloader to upload and swap (hewer.payload_swap). Done: a task succeeded,
-- failed or was cancelled (its output), a run finished (its input), an event
-- is older than event_age (its payload, read by the event router until then).
-- Every candidate it looks at is put off by `retry` (not_before): one whose
-- owner is not done yet waits that long, and one returned is not handed out
-- again before then (its upload failed, or its offloader died, if the swap
-- has not deleted it by then). A candidate whose row is gone (its partition
-- dropped) or already holds a reference is deleted. size: the column's size
-- as stored (pg_column_size, maybe compressed).
-- Locks: the candidates it returns or puts off (FOR UPDATE SKIP LOCKED, so
-- two offloaders at once never take the same one). Errors: HW095 not trusted.
CREATE OR REPLACE FUNCTION hewer.payload_offload_due(
    p_limit integer, p_retry interval DEFAULT interval '1 minute',
    p_event_age interval DEFAULT interval '1 minute', p_now timestamptz DEFAULT NULL)
RETURNS TABLE (owner_table text, owner_id uuid, tenant_id uuid, kind text, size bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_now timestamptz := coalesce(p_now, pg_catalog.now());
    v_c record;
    v_value jsonb;
    v_done boolean;
BEGIN
    PERFORM hewer._require_trusted('payload_offload_due');
    FOR v_c IN
        SELECT c.owner_table, c.owner_id, c.tenant_id FROM hewer.payload_candidates c
        WHERE c.not_before <= v_now
        ORDER BY c.not_before
        LIMIT greatest(p_limit, 0)
        FOR UPDATE SKIP LOCKED
    LOOP
        v_value := NULL;
        v_done := false;
        IF v_c.owner_table = 'tasks' THEN
            SELECT t.output, t.status IN ('succeeded', 'failed', 'cancelled') INTO v_value, v_done
            FROM hewer.tasks t WHERE t.id = v_c.owner_id;
        ELSIF v_c.owner_table = 'runs' THEN
            SELECT r.input, r.status IN ('succeeded', 'failed', 'cancelled') INTO v_value, v_done
            FROM hewer.runs r WHERE r.id = v_c.owner_id;
        ELSE
            SELECT e.payload, e.created_at < v_now - p_event_age INTO v_value, v_done
            FROM hewer.events e WHERE e.id = v_c.owner_id;
        END IF;
        IF v_value IS NULL OR jsonb_typeof(v_value) = 'object' AND v_value ? '$hewer_ref' THEN
            DELETE FROM hewer.payload_candidates c
            WHERE c.owner_table = v_c.owner_table AND c.owner_id = v_c.owner_id;
            CONTINUE;
        END IF;
        UPDATE hewer.payload_candidates c SET not_before = v_now + p_retry
        WHERE c.owner_table = v_c.owner_table AND c.owner_id = v_c.owner_id;
        IF v_done THEN
            owner_table := v_c.owner_table;
            owner_id := v_c.owner_id;
            tenant_id := v_c.tenant_id;
            kind := CASE v_c.owner_table WHEN 'runs' THEN 'input' WHEN 'tasks' THEN 'output' ELSE 'event' END;
            size := pg_column_size(v_value);
            RETURN NEXT;
        END IF;
    END LOOP;
END
$$;

-- hewer.payload_text(owner_table, owner_id) -> text: the payload column's
-- JSON text (jsonb's canonical form: what an offloaded object holds), NULL
-- when the row is gone. Errors: HW095 not trusted.
CREATE OR REPLACE FUNCTION hewer.payload_text(p_owner_table text, p_owner_id uuid)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_text text;
BEGIN
    PERFORM hewer._require_trusted('payload_text');
    IF p_owner_table = 'tasks' THEN
        SELECT t.output::text INTO v_text FROM hewer.tasks t WHERE t.id = p_owner_id;
    ELSIF p_owner_table = 'runs' THEN
        SELECT r.input::text INTO v_text FROM hewer.runs r WHERE r.id = p_owner_id;
    ELSIF p_owner_table = 'events' THEN
        SELECT e.payload::text INTO v_text FROM hewer.events e WHERE e.id = p_owner_id;
    END IF;
    RETURN v_text;
END
$$;

-- hewer.payload_swap(owner_table, owner_id, ref) -> boolean: replaces the row's
-- payload by `ref`, a reference to an object holding exactly that payload, if
-- the column still holds it (the same SHA-256 of its JSON text as the
-- reference names), and deletes its candidate. false: the row is gone or its
-- payload changed; nothing is written (the candidate stays, for
-- payload_offload_due to look at again), and the caller deletes the object
-- it uploaded. The history guard lets exactly this update through a finished
-- row (hewer._payload_swapped); the row trigger then records the reference in
-- hewer.payload_refs. Locks: the row. Errors: HW095 not trusted, HW011/HW010
-- a bad reference.
CREATE OR REPLACE FUNCTION hewer.payload_swap(p_owner_table text, p_owner_id uuid, p_ref jsonb)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_sha text := p_ref -> '$hewer_ref' ->> 'sha256';
    v_found boolean;
BEGIN
    PERFORM hewer._require_trusted('payload_swap');
    IF p_owner_table = 'tasks' THEN
        UPDATE hewer.tasks t SET output = p_ref
        WHERE t.id = p_owner_id AND NOT (jsonb_typeof(t.output) = 'object' AND t.output ? '$hewer_ref')
          AND encode(pg_catalog.sha256(convert_to(t.output::text, 'UTF8')), 'hex') = v_sha;
    ELSIF p_owner_table = 'runs' THEN
        UPDATE hewer.runs r SET input = p_ref
        WHERE r.id = p_owner_id AND NOT (jsonb_typeof(r.input) = 'object' AND r.input ? '$hewer_ref')
          AND encode(pg_catalog.sha256(convert_to(r.input::text, 'UTF8')), 'hex') = v_sha;
    ELSIF p_owner_table = 'events' THEN
        UPDATE hewer.events e SET payload = p_ref
        WHERE e.id = p_owner_id AND NOT (jsonb_typeof(e.payload) = 'object' AND e.payload ? '$hewer_ref')
          AND encode(pg_catalog.sha256(convert_to(e.payload::text, 'UTF8')), 'hex') = v_sha;
    END IF;
    v_found := FOUND;
    IF v_found THEN
        DELETE FROM hewer.payload_candidates c
        WHERE c.owner_table = p_owner_table AND c.owner_id = p_owner_id;
    END IF;
    RETURN v_found;
END
$$;

-- hewer.payload_backfill(owner_table, after, limit) -> (last_id, scanned,
-- queued): queues as candidates the large inline payloads among the next
-- `limit` rows of the table after id `after` (NULL: from the start), in id
-- order: those whose JSON text is over the tenant's offload threshold and
-- that are not references. For payloads stored before migration 19 (the row trigger queues
-- later ones). last_id: where to go on from, NULL when the table is done.
-- Errors: HW095 not trusted, HW007 an unknown table.
CREATE OR REPLACE FUNCTION hewer.payload_backfill(p_owner_table text, p_after uuid, p_limit integer)
RETURNS TABLE (last_id uuid, scanned integer, queued integer)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_column text := hewer._payload_column(p_owner_table);
BEGIN
    PERFORM hewer._require_trusted('payload_backfill');
    IF v_column IS NULL THEN
        RAISE EXCEPTION 'payload_backfill: % is not a table with payloads', quote_literal(p_owner_table)
            USING ERRCODE = 'HW007', HINT = 'Pass runs, tasks or events.';
    END IF;
    -- The table and column come from the fixed list above, never from the caller.
    EXECUTE format($q$
        WITH batch AS (
            SELECT x.id, x.tenant_id, x.%1$I AS value FROM hewer.%2$I x
            WHERE $1 IS NULL OR x.id > $1
            ORDER BY x.id
            LIMIT greatest($2, 1)
        ), big AS (
            INSERT INTO hewer.payload_candidates (owner_table, owner_id, tenant_id)
            SELECT %2$L, b.id, b.tenant_id FROM batch b
            -- As stored a payload may be compressed (pglz and lz4 shrink 64 KiB to no
            -- less than about 260 bytes): only those over 256 bytes are measured as text.
            WHERE pg_column_size(b.value) > 256
              AND NOT (jsonb_typeof(b.value) = 'object' AND b.value ? '$hewer_ref')
              AND octet_length(b.value::text) > hewer._payload_limit('offload_threshold', b.tenant_id)
            ON CONFLICT DO NOTHING
            RETURNING 1
        )
        SELECT CASE WHEN count(*) < greatest($2, 1) THEN NULL
                    ELSE (SELECT l.id FROM batch l ORDER BY l.id DESC LIMIT 1) END,
               count(*)::integer, (SELECT count(*) FROM big)::integer
        FROM batch b
        $q$, v_column, p_owner_table)
    INTO last_id, scanned, queued
    USING p_after, p_limit;
    RETURN NEXT;
END
$$;

-- hewer.payload_refs_prune() -> (key, tenant_id): deletes the rows of
-- hewer.payload_refs whose owner row is gone (its partition dropped) or no
-- longer holds that key at the top level of its payload column, and returns
-- the keys it deleted that no remaining row holds: objects that may be
-- deleted from the store now. Reads every reference (an anti-join with the
-- three tables by id). Locks: the rows it deletes. Errors: HW095 not trusted.
CREATE OR REPLACE FUNCTION hewer.payload_refs_prune()
RETURNS TABLE (key text, tenant_id uuid)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_keys text[];
    v_tenants uuid[];
BEGIN
    PERFORM hewer._require_trusted('payload_refs_prune');
    WITH gone AS (
        DELETE FROM hewer.payload_refs r
        WHERE CASE r.owner_table
            WHEN 'tasks' THEN NOT EXISTS (SELECT 1 FROM hewer.tasks t
                                          WHERE t.id = r.owner_id AND t.output -> '$hewer_ref' ->> 'key' = r.key)
            WHEN 'runs' THEN NOT EXISTS (SELECT 1 FROM hewer.runs x
                                         WHERE x.id = r.owner_id AND x.input -> '$hewer_ref' ->> 'key' = r.key)
            ELSE NOT EXISTS (SELECT 1 FROM hewer.events e
                             WHERE e.id = r.owner_id AND e.payload -> '$hewer_ref' ->> 'key' = r.key)
        END
        RETURNING r.key, r.tenant_id
    )
    SELECT array_agg(g.key), array_agg(g.tenant_id) INTO v_keys, v_tenants FROM gone g;
    -- A new statement: it sees the deletes above.
    RETURN QUERY
    SELECT DISTINCT k.key, k.tenant_id FROM unnest(v_keys, v_tenants) AS k(key, tenant_id)
    WHERE NOT EXISTS (SELECT 1 FROM hewer.payload_refs r WHERE r.key = k.key)
    ORDER BY k.key;
END
$$;

-- hewer.payload_keys_held(keys[]) -> key: the keys among `keys` that a row of
-- hewer.payload_refs holds (of any tenant). The collector deletes an old
-- object of the store only when its key is not among them.
-- Errors: HW095 not trusted.
CREATE OR REPLACE FUNCTION hewer.payload_keys_held(p_keys text[])
RETURNS TABLE (key text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM hewer._require_trusted('payload_keys_held');
    RETURN QUERY SELECT DISTINCT r.key FROM hewer.payload_refs r WHERE r.key = ANY (p_keys);
END
$$;

-- hewer.payload_status() -> (tenant, refs, objects, bytes, candidates,
-- candidates_due): per tenant, the references stored, the distinct objects
-- they name and their bytes, and the large inline payloads queued for the
-- offloader (all, and those due now). Errors: HW095 not trusted.
CREATE OR REPLACE FUNCTION hewer.payload_status()
RETURNS TABLE (tenant text, refs bigint, objects bigint, bytes bigint, candidates bigint,
               candidates_due bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    PERFORM hewer._require_trusted('payload_status');
    RETURN QUERY
    WITH r AS (
        SELECT r.tenant_id, count(*) AS refs, count(DISTINCT r.key) AS objects
        FROM hewer.payload_refs r GROUP BY r.tenant_id
    ), b AS (
        SELECT o.tenant_id, sum(o.size)::bigint AS bytes
        FROM (SELECT DISTINCT ON (x.key) x.tenant_id, x.size FROM hewer.payload_refs x ORDER BY x.key) o
        GROUP BY o.tenant_id
    ), c AS (
        SELECT c.tenant_id, count(*) AS candidates, count(*) FILTER (WHERE c.not_before <= now()) AS due
        FROM hewer.payload_candidates c GROUP BY c.tenant_id
    )
    SELECT t.name, coalesce(r.refs, 0), coalesce(r.objects, 0), coalesce(b.bytes, 0),
           coalesce(c.candidates, 0), coalesce(c.due, 0)
    FROM hewer.tenants t
    LEFT JOIN r ON r.tenant_id = t.id
    LEFT JOIN b ON b.tenant_id = t.id
    LEFT JOIN c ON c.tenant_id = t.id
    WHERE r.tenant_id IS NOT NULL OR c.tenant_id IS NOT NULL
    ORDER BY t.name;
END
$$;
