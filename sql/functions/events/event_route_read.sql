-- hewer.event_route_read(qty, visibility_timeout_seconds)
--   -> (msg_id, read_ct, event_id, tenant_id, key, payload, metadata, scope,
--       workflow_id, workflow, filter_id, filter_version, expression, filter_error)
--
-- The event router's read: up to qty messages from the pgmq queue
-- hewer_events, hidden from other readers for the visibility timeout, each
-- with the (workflow, filter) pairs its event may start:
--   * the workflows of the event's tenant whose current version lists a key
--     pattern in on_events that matches the event's key;
--   * for such a workflow without filters, one row with the zero filter id
--     and no expression (every matching event starts a run);
--   * for a workflow with filters, one row per filter whose scope is NULL or
--     the event's scope (a run starts per filter whose expression is true).
-- Pairs already decided (in hewer.event_matches, e.g. before a router
-- crashed) are left out. A message with nothing left to decide comes back
-- once with workflow_id NULL, so the router acks it; one whose event is
-- not found comes back with event_id NULL (see the router).
-- Runs across tenants: the router is a system process.
--
-- Locks: pgmq's (FOR UPDATE SKIP LOCKED on the queue), so routers on several
-- dispatchers never read the same message at once. NOTIFY: none.
-- Errors: HW007 qty not from 1 to 10000 or timeout not positive.
CREATE OR REPLACE FUNCTION hewer.event_route_read(p_qty integer, p_vt integer)
RETURNS TABLE (msg_id bigint, read_ct integer, event_id uuid, tenant_id uuid, key text,
               payload jsonb, metadata jsonb, scope text, workflow_id uuid, workflow text,
               filter_id uuid, filter_version integer, expression text, filter_error text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_msg_ids bigint[];
    v_read_cts integer[];
    v_event_ids uuid[];
BEGIN
    IF p_qty IS NULL OR p_qty NOT BETWEEN 1 AND 10000 OR p_vt IS NULL OR p_vt < 1 THEN
        RAISE EXCEPTION 'event_route_read: qty must be from 1 to 10000 and the visibility timeout at least 1 s, got % and %',
            p_qty, p_vt
            USING ERRCODE = 'HW007';
    END IF;
    -- The read is a statement of its own: pgmq.read runs its query with a
    -- snapshot of its own, newer than the calling statement's, so a message
    -- it returns may belong to an event that a join in the same statement
    -- could not see yet. The next statement's snapshot sees every event
    -- whose message was read.
    --
    -- Fair across tenants: not pgmq.read's first-in-first-out, which would
    -- make every other tenant's events wait behind one tenant's backlog, but
    -- the same read (visible messages, hidden for p_vt seconds, read_ct + 1)
    -- taken tenant by tenant: each tenant's oldest, then each tenant's
    -- second, ... up to p_qty. The tenants with messages are found by a skip
    -- scan over q_hewer_events_tenant_idx (migration 10), so a backlog costs
    -- nothing but its own turn. Messages without a tenant (sent before
    -- migration 10) are one more group.
    WITH RECURSIVE heads(t) AS (
        (SELECT coalesce(q.message ->> 'tenant_id', '') FROM pgmq.q_hewer_events q
         ORDER BY coalesce(q.message ->> 'tenant_id', '') LIMIT 1)
        UNION ALL
        SELECT (SELECT coalesce(q.message ->> 'tenant_id', '') FROM pgmq.q_hewer_events q
                WHERE coalesce(q.message ->> 'tenant_id', '') > h.t
                ORDER BY coalesce(q.message ->> 'tenant_id', '') LIMIT 1)
        FROM heads h WHERE h.t IS NOT NULL
    ), picked AS (
        SELECT c.msg_id
        FROM heads h
        CROSS JOIN LATERAL (
            SELECT q.msg_id, row_number() OVER (ORDER BY q.msg_id) AS turn
            FROM pgmq.q_hewer_events q
            WHERE coalesce(q.message ->> 'tenant_id', '') = h.t AND q.vt <= clock_timestamp()
            ORDER BY q.msg_id LIMIT p_qty
        ) c
        WHERE h.t IS NOT NULL
        ORDER BY c.turn, c.msg_id
        LIMIT p_qty
    ), taken AS (
        SELECT q.msg_id FROM pgmq.q_hewer_events q
        WHERE q.msg_id IN (SELECT p.msg_id FROM picked p)
        FOR UPDATE SKIP LOCKED
    ), m AS (
        UPDATE pgmq.q_hewer_events q
        SET vt = clock_timestamp() + make_interval(secs => p_vt), read_ct = q.read_ct + 1
        FROM taken t WHERE q.msg_id = t.msg_id
        RETURNING q.msg_id, q.read_ct, q.message
    )
    SELECT array_agg(m.msg_id ORDER BY m.msg_id), array_agg(m.read_ct ORDER BY m.msg_id),
           array_agg((m.message ->> 'event_id')::uuid ORDER BY m.msg_id)
    INTO v_msg_ids, v_read_cts, v_event_ids
    FROM m;
    IF v_msg_ids IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH msgs AS MATERIALIZED (
        SELECT u.msg_id, u.read_ct, u.event_id
        FROM unnest(v_msg_ids, v_read_cts, v_event_ids) AS u(msg_id, read_ct, event_id)
    ), ev AS MATERIALIZED (
        SELECT m.msg_id, m.read_ct, e.*
        FROM msgs m LEFT JOIN hewer.events e ON e.id = m.event_id
    ), wf AS MATERIALIZED (
        SELECT ev.msg_id, w.id AS workflow_id, w.name
        FROM ev
        JOIN hewer.workflows w ON w.tenant_id = ev.tenant_id
        JOIN hewer.workflow_versions v ON v.id = w.current_version_id
        WHERE jsonb_typeof(v.spec -> 'on_events') = 'array'
          AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(v.spec -> 'on_events') AS p(pattern)
                      WHERE hewer._event_key_matches(p.pattern, ev.key))
    ), pairs AS (
        SELECT wf.msg_id, wf.workflow_id, wf.name,
               coalesce(f.id, '00000000-0000-0000-0000-000000000000'::uuid) AS filter_id,
               f.version, f.expression, f.error
        FROM wf
        JOIN ev ON ev.msg_id = wf.msg_id
        LEFT JOIN hewer.filters f
               ON f.workflow_id = wf.workflow_id AND (f.scope IS NULL OR f.scope = ev.scope)
        WHERE f.id IS NOT NULL
           OR NOT EXISTS (SELECT 1 FROM hewer.filters g WHERE g.workflow_id = wf.workflow_id)
    ), todo AS (
        SELECT p.* FROM pairs p JOIN ev ON ev.msg_id = p.msg_id
        WHERE NOT EXISTS (SELECT 1 FROM hewer.event_matches x
                          WHERE x.event_id = ev.id AND x.workflow_id = p.workflow_id
                            AND x.filter_id = p.filter_id)
    )
    SELECT ev.msg_id, ev.read_ct, ev.id, ev.tenant_id, ev.key, ev.payload, ev.metadata, ev.scope,
           t.workflow_id, t.name, t.filter_id, t.version, t.expression, t.error
    FROM ev LEFT JOIN todo t ON t.msg_id = ev.msg_id
    ORDER BY ev.msg_id, t.workflow_id, t.filter_id;
END
$$;
