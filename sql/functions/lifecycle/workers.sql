-- hewer.worker_register(name, actions[], slots, labels?, sdk_version?, worker_id?, now?) -> worker_id
--
-- Registers a worker (or re-registers one that reconnects, by passing its
-- id): the actions it runs and how many tasks it runs at once. A worker
-- that was declared dead comes back as active; the tasks it held were
-- already reaped.
-- Errors: HW007 no actions, bad action name, slots out of 1..10000,
-- labels not an object.
CREATE OR REPLACE FUNCTION hewer.worker_register(
    p_name text, p_actions text[], p_slots integer, p_labels jsonb DEFAULT '{}',
    p_sdk_version text DEFAULT NULL, p_worker_id uuid DEFAULT NULL, p_now timestamptz DEFAULT now())
RETURNS uuid
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_id uuid;
    v_bad text;
BEGIN
    PERFORM hewer._require_now('worker_register', p_now);
    IF p_name IS NULL OR length(p_name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'worker_register: name must be 1 to 200 characters' USING ERRCODE = 'HW007';
    END IF;
    IF coalesce(cardinality(p_actions), 0) = 0 THEN
        RAISE EXCEPTION 'worker_register: a worker needs at least one action' USING ERRCODE = 'HW007',
            HINT = 'Actions are "workflow:step" names, or a step''s "action" field.';
    END IF;
    SELECT a INTO v_bad FROM unnest(p_actions) AS u(a) WHERE a IS NULL OR NOT hewer._valid_name(a) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'worker_register: invalid action %', coalesce(quote_literal(v_bad), 'NULL')
            USING ERRCODE = 'HW007', HINT = 'An action is 1 to 128 characters: letters, digits and _ - . :';
    END IF;
    IF p_slots IS NULL OR p_slots NOT BETWEEN 1 AND 10000 THEN
        RAISE EXCEPTION 'worker_register: slots must be from 1 to 10000, got %', coalesce(p_slots::text, 'NULL')
            USING ERRCODE = 'HW007';
    END IF;
    PERFORM hewer._check_payloads('worker_register', 'labels', ARRAY[p_labels]);
    IF p_labels IS NULL OR jsonb_typeof(p_labels) <> 'object' THEN
        RAISE EXCEPTION 'worker_register: labels must be a JSON object' USING ERRCODE = 'HW007';
    END IF;
    INSERT INTO hewer.workers AS w (tenant_id, id, name, actions, slots, labels, sdk_version, status,
                                    registered_at, last_heartbeat_at)
    VALUES (hewer.current_tenant(), coalesce(p_worker_id, hewer.uuidv7(p_now)), p_name,
            ARRAY(SELECT DISTINCT a FROM unnest(p_actions) AS u(a) ORDER BY a), p_slots, p_labels,
            p_sdk_version, 'active', p_now, p_now)
    ON CONFLICT (id) DO UPDATE
        SET name = excluded.name, actions = excluded.actions, slots = excluded.slots,
            labels = excluded.labels, sdk_version = excluded.sdk_version, status = 'active',
            last_heartbeat_at = excluded.last_heartbeat_at
        WHERE w.tenant_id = excluded.tenant_id
    RETURNING w.id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'worker_register: worker id % belongs to another tenant', p_worker_id
            USING ERRCODE = 'HW007', HINT = 'Omit the worker id to get a new one.';
    END IF;
    RETURN v_id;
END
$$;

-- hewer.worker_heartbeat(worker_ids[], now?) -> (worker_id, status)
--
-- Records that workers are alive. Returns each worker's status; a worker
-- reported 'dead' (or missing: NULL) must re-register, since the reaper has
-- already given its tasks to others.
CREATE OR REPLACE FUNCTION hewer.worker_heartbeat(p_worker_ids uuid[], p_now timestamptz DEFAULT now())
RETURNS TABLE (worker_id uuid, status text)
LANGUAGE sql VOLATILE
AS $$
    WITH guard AS (SELECT hewer._require_now('worker_heartbeat', p_now)),
    beat AS (
        UPDATE hewer.workers w SET last_heartbeat_at = greatest(w.last_heartbeat_at, p_now),
                                   disconnected_at = NULL
        FROM guard
        WHERE w.id = ANY (p_worker_ids) AND w.tenant_id = hewer.current_tenant()
          AND w.status IN ('active', 'draining')
        RETURNING w.id
    )
    SELECT u.id, w.status
    FROM unnest(p_worker_ids) WITH ORDINALITY AS u(id, i)
    LEFT JOIN hewer.workers w ON w.id = u.id AND w.tenant_id = hewer.current_tenant()
    ORDER BY u.i
$$;

-- hewer.worker_disconnect(worker_ids[], now?) -> worker_id
--
-- Records that a dispatcher saw these workers' streams break (the worker
-- crashed, or its connection did). A worker that heartbeats again (through
-- any dispatcher) clears it; one that does not is declared dead by the
-- reaper after its disconnect_grace, and its tasks go to others. Returns the
-- workers marked (active or draining ones of this tenant).
CREATE OR REPLACE FUNCTION hewer.worker_disconnect(p_worker_ids uuid[], p_now timestamptz DEFAULT now())
RETURNS SETOF uuid
LANGUAGE sql VOLATILE
AS $$
    WITH guard AS (SELECT hewer._require_now('worker_disconnect', p_now))
    UPDATE hewer.workers w SET disconnected_at = p_now
    FROM guard
    WHERE w.id = ANY (p_worker_ids) AND w.tenant_id = hewer.current_tenant()
      AND w.status IN ('active', 'draining')
    RETURNING w.id
$$;

-- hewer.worker_stop(worker_ids[], drain?, now?) -> (worker_id, status)
--
-- drain = true: the worker takes no new tasks but finishes those it holds
-- ('draining'). drain = false: the worker is 'stopped'; the tasks it still
-- holds are handed to others by the next reap (cause worker_lost).
CREATE OR REPLACE FUNCTION hewer.worker_stop(
    p_worker_ids uuid[], p_drain boolean DEFAULT false, p_now timestamptz DEFAULT now())
RETURNS TABLE (worker_id uuid, status text)
LANGUAGE sql VOLATILE
AS $$
    UPDATE hewer.workers w
    SET status = CASE WHEN p_drain THEN 'draining' ELSE 'stopped' END,
        last_heartbeat_at = greatest(w.last_heartbeat_at, p_now)
    FROM (SELECT hewer._require_now('worker_stop', p_now)) AS guard
    WHERE w.id = ANY (p_worker_ids) AND w.tenant_id = hewer.current_tenant()
      AND (w.status = 'active' OR (NOT p_drain AND w.status = 'draining'))
    RETURNING w.id, w.status
$$;
