-- hewer.push_events(keys[], payloads[]?, metadata[]?, scopes[]?, now?) -> (ord, event_id)
-- hewer.push_event(key, payload?, metadata?, scope?, now?) -> event_id
--
-- Stores events (immutable, in the partitioned hewer.events) and puts each on
-- the pgmq queue hewer_events, in the caller's transaction: an application's
-- own write and its event commit or roll back together. The dispatcher's
-- event router then starts the runs of the workflows whose on_events keys
-- and filters match. Any language can call it: SELECT hewer.push_event(...).
--
-- payload and metadata: JSON objects (NULL = {}), each at most 1 MiB as
-- text. scope: NULL or a short label; filters with a scope only see events
-- of that scope.
--
-- Locks: inserts only. NOTIFY hewer_events once per call (empty payload), so
-- the router wakes at once; it also polls, so a lost notification only delays.
-- Errors: HW040 bad key, HW041 payload or metadata not an object or too
-- large, HW007 bad arrays or scope.
CREATE OR REPLACE FUNCTION hewer.push_events(
    p_keys text[],
    p_payloads jsonb[] DEFAULT NULL,
    p_metadata jsonb[] DEFAULT NULL,
    p_scopes text[] DEFAULT NULL,
    p_now timestamptz DEFAULT now())
RETURNS TABLE (ord integer, event_id uuid)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := hewer.current_tenant();
    v_n integer;
    v_bad record;
    v_ids uuid[];
BEGIN
    v_n := hewer._batch_len('push_events', p_keys,
        ARRAY[coalesce(cardinality(p_payloads), cardinality(p_keys)),
              coalesce(cardinality(p_metadata), cardinality(p_keys)),
              coalesce(cardinality(p_scopes), cardinality(p_keys))]);
    PERFORM hewer._require_now('push_events', p_now);
    IF v_n = 0 THEN
        RETURN;
    END IF;
    PERFORM hewer._check_payloads('push_event', 'payload', p_payloads, v_tenant);
    PERFORM hewer._tenant_admit('push_event', v_tenant, v_n);
    SELECT u.i, u.k, coalesce(u.p, '{}') AS p, coalesce(u.m, '{}') AS m, u.s INTO v_bad
    FROM unnest(p_keys, coalesce(p_payloads, array_fill(NULL::jsonb, ARRAY[v_n])),
                coalesce(p_metadata, array_fill(NULL::jsonb, ARRAY[v_n])),
                coalesce(p_scopes, array_fill(NULL::text, ARRAY[v_n])))
         WITH ORDINALITY AS u(k, p, m, s, i)
    WHERE u.k IS NULL OR NOT hewer._event_key_valid(u.k)
       OR jsonb_typeof(coalesce(u.p, '{}')) <> 'object' OR jsonb_typeof(coalesce(u.m, '{}')) <> 'object'
       OR octet_length(u.p::text) > 1048576 OR octet_length(u.m::text) > 1048576
       OR length(u.s) NOT BETWEEN 1 AND 255
    ORDER BY u.i LIMIT 1;
    IF FOUND THEN
        IF v_bad.k IS NULL OR NOT hewer._event_key_valid(v_bad.k) THEN
            RAISE EXCEPTION 'push_event: event key #% is %, which is not a valid key', v_bad.i,
                coalesce(quote_literal(v_bad.k), 'NULL')
                USING ERRCODE = 'HW040',
                      HINT = 'A key is 1 to 255 characters: letters, digits and _ . : / - (e.g. ''order.created'').';
        ELSIF jsonb_typeof(v_bad.p) <> 'object' OR jsonb_typeof(v_bad.m) <> 'object' THEN
            RAISE EXCEPTION 'push_event: the % of event #% (%) must be a JSON object, got %',
                CASE WHEN jsonb_typeof(v_bad.p) <> 'object' THEN 'payload' ELSE 'metadata' END,
                v_bad.i, v_bad.k,
                CASE WHEN jsonb_typeof(v_bad.p) <> 'object' THEN jsonb_typeof(v_bad.p) ELSE jsonb_typeof(v_bad.m) END
                USING ERRCODE = 'HW041', HINT = 'Wrap the value in an object, e.g. {"value": ...}.';
        ELSIF octet_length(v_bad.p::text) > 1048576 OR octet_length(v_bad.m::text) > 1048576 THEN
            RAISE EXCEPTION 'push_event: the payload and metadata of event #% (%) may be 1 MiB each, got % and % bytes',
                v_bad.i, v_bad.k, octet_length(v_bad.p::text), octet_length(v_bad.m::text)
                USING ERRCODE = 'HW041',
                      HINT = 'Store large data elsewhere (a table, object storage) and put its reference in the event.';
        END IF;
        RAISE EXCEPTION 'push_event: the scope of event #% (%) must be 1 to 255 characters, got %',
            v_bad.i, v_bad.k, quote_literal(v_bad.s)
            USING ERRCODE = 'HW007', HINT = 'Pass NULL for no scope.';
    END IF;

    v_ids := ARRAY(SELECT hewer.uuidv7(p_now + make_interval(secs => g / 1e6))
                   FROM generate_series(1, v_n) AS g);
    INSERT INTO hewer.events (tenant_id, id, key, payload, metadata, scope, created_at)
    SELECT v_tenant, u.id, u.k, coalesce(u.p, '{}'), coalesce(u.m, '{}'), u.s, p_now
    FROM unnest(v_ids, p_keys, coalesce(p_payloads, array_fill(NULL::jsonb, ARRAY[v_n])),
                coalesce(p_metadata, array_fill(NULL::jsonb, ARRAY[v_n])),
                coalesce(p_scopes, array_fill(NULL::text, ARRAY[v_n])))
         AS u(id, k, p, m, s);
    -- The message names the event only: the router reads the stored row.
    PERFORM pgmq.send_batch('hewer_events',
        ARRAY(SELECT jsonb_build_object('event_id', x, 'tenant_id', v_tenant) FROM unnest(v_ids) AS x));
    PERFORM pg_notify('hewer_events', '');

    RETURN QUERY SELECT u.i::integer, u.id FROM unnest(v_ids) WITH ORDINALITY AS u(id, i) ORDER BY u.i;
END
$$;

CREATE OR REPLACE FUNCTION hewer.push_event(
    p_key text,
    p_payload jsonb DEFAULT '{}',
    p_metadata jsonb DEFAULT '{}',
    p_scope text DEFAULT NULL,
    p_now timestamptz DEFAULT now())
RETURNS uuid
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    -- plpgsql, not sql: its plan is cached across calls.
    RETURN (SELECT e.event_id
            FROM hewer.push_events(ARRAY[p_key], ARRAY[p_payload], ARRAY[p_metadata], ARRAY[p_scope],
                                   p_now) e);
END
$$;
