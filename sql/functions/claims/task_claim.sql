-- hewer._may_take(queue row, worker id, worker labels, now) -> boolean (private)
--
-- Whether a worker may claim a queue row now, by the row's affinity
-- (docs/affinity.md): its required labels, its preferred labels (a worker
-- meeting a share s of their weight waits (1 - s) x 2 s), and its run's
-- stickiness (soft: others wait 2 s; hard: others only once the sticky worker
-- is dead, stopped or gone). True for a row without any of them.
CREATE OR REPLACE FUNCTION hewer._may_take(
    p_q hewer.queue, p_worker uuid, p_labels jsonb, p_now timestamptz)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT (p_q.labels IS NULL OR p_labels @> p_q.labels)
       AND (p_q.prefer IS NULL
            OR p_q.ready_at <= p_now - interval '2 seconds' * (1 - hewer._label_share(p_labels, p_q.prefer)))
       AND (p_q.sticky_worker IS NULL OR p_q.sticky_worker = p_worker
            OR (p_q.sticky = 'soft' AND p_q.ready_at <= p_now - interval '2 seconds')
            OR (p_q.sticky = 'hard' AND NOT EXISTS (
                    SELECT 1 FROM hewer.workers w
                    WHERE w.id = p_q.sticky_worker AND w.status IN ('active', 'draining'))))
$$;

-- hewer._claim_candidates(tenant, actions, now, window, worker?, labels?) -> queue rows (private)
--
-- task_claim's candidates: the ready queue rows of the worker's actions that
-- the worker may take (hewer._may_take: affinity), highest priority first,
-- then round-robin turn, then FIFO; at most `window` per action, locked FOR
-- UPDATE SKIP LOCKED (rows another claimer holds are skipped). One index
-- range scan per action (queue_claim_idx), merged: a plain `action = ANY
-- (...)` would read and sort the whole backlog.
CREATE OR REPLACE FUNCTION hewer._claim_candidates(
    p_tenant uuid, p_actions text[], p_now timestamptz, p_window integer,
    p_worker uuid DEFAULT NULL, p_labels jsonb DEFAULT '{}')
RETURNS hewer.queue[]
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    RETURN ARRAY(
        SELECT c.q FROM unnest(p_actions) AS a(action)
        CROSS JOIN LATERAL (
            SELECT q FROM hewer.queue q
            WHERE q.tenant_id = p_tenant AND q.action = a.action AND q.ready_at <= p_now
              AND ((q.labels IS NULL AND q.prefer IS NULL AND q.sticky_worker IS NULL)
                   OR hewer._may_take(q, p_worker, p_labels, p_now))
            ORDER BY q.priority DESC, q.rr_seq, q.id
            LIMIT p_window
            FOR UPDATE SKIP LOCKED
        ) c
        ORDER BY (c.q).priority DESC, (c.q).rr_seq, (c.q).id);
END
$$;

-- hewer.task_claim(worker_id, limit, now?) -> assignments
--
-- Claims up to `limit` ready tasks for a worker, among the actions it
-- registered, highest priority first, then in round-robin order across the
-- keys of a GROUP_ROUND_ROBIN limit (queue.rr_seq), then FIFO; never more
-- than the worker's free slots (a task takes its step's `slots`). Each
-- claimed task becomes 'assigned' to the worker with attempt + 1 and a lease
-- (timeout_at = now + the step's execution timeout); the worker must report
-- with that (task_id, attempt). Returns the run input and the parents'
-- outputs ({"step": output, ...}).
--
-- Gating, in this transaction, so it holds across any number of claimers:
-- the tenant's and each action's running-task limits
-- (hewer.concurrency_limit_set), the run's workflow limit (a run holds a slot
-- of its key from its first claim until it finishes), the step's limit per
-- key, and the token buckets of its rate limits. A task blocked by a
-- concurrency limit stays queued and the claim looks further down the queue;
-- a task short of tokens gets ready_at = when its bucket will have refilled
-- enough for it and the tasks already waiting ahead of it, so it waits
-- without blocking the work behind it.
--
-- Locks: the worker row (claims for one worker run one at a time), queue
-- rows FOR UPDATE SKIP LOCKED, then the semaphores involved (id order), then
-- the rate buckets ((name, key) order), then their tasks, and the runs it
-- marks running only with SKIP LOCKED: a claim never waits for a task or run
-- lock. Writers release semaphores after their runs and tasks (see
-- sql/functions/claims/_limits.sql), so the order runs -> queue -> tasks ->
-- semaphores -> buckets holds everywhere. Writers that remove queue rows
-- (cancel, fail) delete them before touching the tasks.
-- Errors: HW007 bad limit, HW008 unknown worker. A worker that is not
-- 'active' (draining, stopped, dead) gets nothing.
CREATE OR REPLACE FUNCTION hewer.task_claim(
    p_worker_id uuid, p_limit integer, p_now timestamptz DEFAULT now())
RETURNS TABLE (task_id uuid, attempt integer, run_id uuid, workflow text, step text, action text,
               input jsonb, parents jsonb, priority integer, timeout_at timestamptz,
               traceparent text, queue_wait float8)
LANGUAGE plpgsql VOLATILE
-- Right after a bulk trigger, before hewer.queue is analyzed, the planner thinks the
-- queue is tiny and bitmap-scans every ready row and sorts them instead of walking
-- queue_claim_idx under the LIMIT: 42 to 84 ms per claim of 50 with 100,000 queued,
-- 7 to 8 ms with bitmap scans off (docs/benchmarks.md).
SET enable_bitmapscan = off
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := hewer.current_tenant();
    v_worker hewer.workers;
    v_free integer;
    v_want integer;
    v_window integer;
    v_cands hewer.queue[];
    v_more hewer.queue[];
    v_c hewer.queue;
    v_gated boolean;
    v_limited boolean;
    v_picked bigint[] := '{}'::bigint[];
    v_holds jsonb[] := '{}'::jsonb[];
    -- Semaphores: id, room left, and per limit kind the id to use.
    v_sem_ids bigint[] := '{}'::bigint[];
    v_sem_room integer[] := '{}'::integer[];
    v_tenant_sem bigint;
    v_action_names text[] := '{}'::text[];
    v_action_sems bigint[] := '{}'::bigint[];
    v_held_runs uuid[] := '{}'::uuid[];
    v_new_runs uuid[] := '{}'::uuid[];
    v_new_run_sems bigint[] := '{}'::bigint[];
    -- Rate buckets, in (name, key) order, and their "name<US>key" ids for lookups.
    v_bk hewer.claim_bucket[] := '{}'::hewer.claim_bucket[];
    v_bk_names text[] := '{}'::text[];
    v_bk_keys text[] := '{}'::text[];
    v_deferred bigint[] := '{}'::bigint[];
    v_defer_at timestamptz[] := '{}'::timestamptz[];
    v_h bigint;
    v_bk_ids text[] := '{}'::text[];
    v_rr_sems bigint[] := '{}'::bigint[];
    v_rr_seqs bigint[] := '{}'::bigint[];
    v_rr_ids bigint[] := '{}'::bigint[];
    v_cand_ids bigint[];
    v_ok boolean;
    v_i integer;
    v_p integer;
    v_wait double precision;
    v_units double precision;
    v_task_holds bigint[];
BEGIN
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
        RAISE EXCEPTION 'task_claim: limit must be from 1 to 10000, got %', coalesce(p_limit::text, 'NULL')
            USING ERRCODE = 'HW007';
    END IF;
    PERFORM hewer._require_now('task_claim', p_now);
    -- The worker's row lock serializes claims for one worker, so that two
    -- concurrent claims cannot both see the same free slots.
    SELECT * INTO v_worker FROM hewer.workers w WHERE w.id = p_worker_id AND w.tenant_id = v_tenant
    FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'task_claim: worker % does not exist', coalesce(p_worker_id::text, 'NULL')
            USING ERRCODE = 'HW008', HINT = 'Register the worker with hewer.worker_register(...) first.';
    END IF;
    IF v_worker.status <> 'active' THEN
        RETURN;
    END IF;
    SELECT v_worker.slots - coalesce(sum(t.slots), 0) INTO v_free FROM hewer.tasks t
    WHERE t.worker_id = p_worker_id AND t.status IN ('assigned', 'running');
    IF v_free <= 0 THEN
        RETURN;
    END IF;
    v_want := least(p_limit, v_free);
    v_limited := EXISTS (SELECT 1 FROM hewer.concurrency_limits l
                         WHERE l.tenant_id = v_tenant
                           AND (l.scope = 'tenant' OR (l.scope = 'action' AND l.name = ANY (v_worker.actions))));
    -- A tenant that uses limits gets the wider window at once (tasks over a
    -- limit are passed over, so the work behind them still runs); others
    -- fetch just what they want and widen only if a candidate is gated.
    v_window := CASE WHEN v_limited OR EXISTS (SELECT 1 FROM hewer.semaphores s WHERE s.tenant_id = v_tenant)
                          OR EXISTS (SELECT 1 FROM hewer.rate_limits l WHERE l.tenant_id = v_tenant)
                     THEN least(v_want + 16, 2000) ELSE v_want END;

    v_cands := hewer._claim_candidates(v_tenant, v_worker.actions, p_now, v_window,
                                       p_worker_id, v_worker.labels);
    IF cardinality(v_cands) = 0 THEN
        RETURN;
    END IF;
    SELECT bool_or(c.run_sem IS NOT NULL OR c.step_sem IS NOT NULL OR c.rate_names IS NOT NULL OR c.slots > 1)
    INTO v_gated FROM unnest(v_cands) AS c;

    IF NOT v_gated AND NOT v_limited THEN
        -- Nothing to gate: take the first v_want in order.
        v_picked := ARRAY(SELECT c.id FROM unnest(v_cands) WITH ORDINALITY AS c(id, i)
                          ORDER BY c.i LIMIT v_want);
        v_holds := array_fill(NULL::jsonb, ARRAY[cardinality(v_picked)]);
    ELSE
        -- Gated: look further down the queue (tasks over a limit are passed
        -- over, so the work behind them still runs), then lock every
        -- semaphore and bucket the candidates need, in a fixed order, once.
        IF v_window = v_want AND cardinality(v_cands) >= v_want THEN
            v_cands := hewer._claim_candidates(v_tenant, v_worker.actions, p_now,
                                               least(v_want + 16, 2000), p_worker_id, v_worker.labels);
        END IF;
        -- A run holds its workflow slot until it finishes, so when that slot is
        -- full, only its holders' next tasks (a retry, a later step) can free
        -- it. They join the candidates wherever they stand in the queue: else
        -- a window full of runs waiting for the slot would starve its holders
        -- and nothing of that key would ever run again.
        v_cand_ids := ARRAY(SELECT c.id FROM unnest(v_cands) AS c);
        v_more := ARRAY(
            SELECT q FROM hewer.queue q
            WHERE q.task_id IN (
                    SELECT t.id
                    FROM (SELECT DISTINCT c.run_sem FROM unnest(v_cands) AS c
                          JOIN hewer.semaphores s ON s.id = c.run_sem
                          WHERE s.running >= c.run_sem_max) f
                    JOIN hewer.run_holds h ON h.sem_id = f.run_sem
                    JOIN hewer.tasks t ON t.run_id = h.run_id AND t.status = 'queued')
              AND q.tenant_id = v_tenant AND q.action = ANY (v_worker.actions)
              AND q.ready_at <= p_now AND NOT (q.id = ANY (v_cand_ids))
              AND ((q.labels IS NULL AND q.prefer IS NULL AND q.sticky_worker IS NULL)
                   OR hewer._may_take(q, p_worker_id, v_worker.labels, p_now))
            ORDER BY q.priority DESC, q.rr_seq, q.id
            LIMIT v_window
            FOR UPDATE SKIP LOCKED);
        IF cardinality(v_more) > 0 THEN
            v_cands := ARRAY(SELECT c FROM unnest(v_cands || v_more) AS c
                             ORDER BY c.priority DESC, c.rr_seq, c.id);
        END IF;
        IF v_limited THEN
            IF EXISTS (SELECT 1 FROM hewer.concurrency_limits l WHERE l.tenant_id = v_tenant AND l.scope = 'tenant') THEN
                SELECT s.id INTO v_tenant_sem FROM hewer.semaphores s
                WHERE s.tenant_id = v_tenant AND s.scope = 'tenant' AND s.owner = '' AND s.key = '';
                IF v_tenant_sem IS NULL THEN
                    v_tenant_sem := (hewer._semaphores(v_tenant, 'tenant', '', ARRAY['']))[1];
                END IF;
            END IF;
            SELECT coalesce(array_agg(l.name ORDER BY l.name), '{}') INTO v_action_names
            FROM hewer.concurrency_limits l
            WHERE l.tenant_id = v_tenant AND l.scope = 'action' AND l.name = ANY (v_worker.actions);
            IF cardinality(v_action_names) > 0 THEN
                v_action_sems := ARRAY(
                    SELECT s.id FROM unnest(v_action_names) WITH ORDINALITY AS u(n, i)
                    LEFT JOIN hewer.semaphores s
                      ON s.tenant_id = v_tenant AND s.scope = 'action' AND s.owner = u.n AND s.key = ''
                    ORDER BY u.i);
                IF array_position(v_action_sems, NULL) IS NOT NULL THEN
                    v_action_sems := ARRAY(
                        SELECT s FROM unnest(v_action_names) WITH ORDINALITY AS u(n, i),
                             LATERAL unnest(hewer._semaphores(v_tenant, 'action', u.n, ARRAY[''])) AS s
                        ORDER BY u.i);
                END IF;
            END IF;
        END IF;
        -- Each semaphore with its maximum: the tenant's and actions' from
        -- their limits, the runs' and steps' from the candidates.
        WITH need AS (
            SELECT x.sem, max(x.mx) AS mx
            FROM (SELECT v_tenant_sem AS sem,
                         (SELECT l.max_running FROM hewer.concurrency_limits l
                          WHERE l.tenant_id = v_tenant AND l.scope = 'tenant' AND l.name = '') AS mx
                  UNION ALL
                  SELECT u.sem, l.max_running
                  FROM unnest(v_action_names, v_action_sems) AS u(n, sem)
                  JOIN hewer.concurrency_limits l
                    ON l.tenant_id = v_tenant AND l.scope = 'action' AND l.name = u.n
                  UNION ALL
                  SELECT c.run_sem, c.run_sem_max FROM unnest(v_cands) AS c
                  UNION ALL
                  SELECT c.step_sem, c.step_sem_max FROM unnest(v_cands) AS c) x
            WHERE x.sem IS NOT NULL
            GROUP BY x.sem
        )
        SELECT coalesce(array_agg(s.id ORDER BY s.id), '{}'),
               coalesce(array_agg(greatest(coalesce(n.mx, 0) - s.running, 0) ORDER BY s.id), '{}')
        INTO v_sem_ids, v_sem_room
        FROM (SELECT s.* FROM hewer.semaphores s WHERE s.id IN (SELECT n.sem FROM need n) ORDER BY s.id
              FOR NO KEY UPDATE) s
        JOIN need n ON n.sem = s.id;
        v_held_runs := ARRAY(SELECT h.run_id FROM hewer.run_holds h
                             WHERE h.run_id IN (SELECT c.run_id FROM unnest(v_cands) AS c WHERE c.run_sem IS NOT NULL));

        -- Buckets: made full on first use, locked in (name, key) order,
        -- refilled in memory.
        SELECT coalesce(array_agg(p.n ORDER BY p.n, p.k), '{}'), coalesce(array_agg(p.k ORDER BY p.n, p.k), '{}')
        INTO v_bk_names, v_bk_keys
        FROM (SELECT DISTINCT r.n, r.k FROM unnest(v_cands) AS c, unnest(c.rate_names, c.rate_keys) AS r(n, k)
              WHERE c.rate_names IS NOT NULL) p;
        IF cardinality(v_bk_names) > 0 THEN
            IF (SELECT count(*) FROM hewer.rate_buckets b
                WHERE b.tenant_id = v_tenant AND (b.name, b.key) IN (SELECT * FROM unnest(v_bk_names, v_bk_keys)))
               < cardinality(v_bk_names) THEN
                INSERT INTO hewer.rate_buckets (tenant_id, name, key, tokens, refilled_at)
                SELECT v_tenant, u.n, u.k, l.burst, p_now
                FROM unnest(v_bk_names, v_bk_keys) AS u(n, k)
                JOIN hewer.rate_limits l ON l.tenant_id = v_tenant AND l.name = u.n
                ORDER BY 2, 3
                ON CONFLICT DO NOTHING;
            END IF;
            -- Locked in (name, key) order, refilled to p_now in memory.
            v_bk := ARRAY(
                SELECT ROW(b.name, b.key,
                           least(l.burst, b.tokens + l.rate / extract(epoch FROM l.period)
                                 * greatest(extract(epoch FROM p_now - b.refilled_at), 0)),
                           l.rate / extract(epoch FROM l.period), l.burst, 0)::hewer.claim_bucket
                FROM (SELECT b.* FROM hewer.rate_buckets b
                      WHERE b.tenant_id = v_tenant
                        AND (b.name, b.key) IN (SELECT * FROM unnest(v_bk_names, v_bk_keys))
                      ORDER BY b.name, b.key FOR NO KEY UPDATE) b
                JOIN hewer.rate_limits l ON l.tenant_id = v_tenant AND l.name = b.name
                ORDER BY b.name, b.key);
        END IF;
        v_bk_ids := ARRAY(SELECT u.name || E'\x1f' || u.key FROM unnest(v_bk) AS u);
        -- Per round-robin key, its first ready task outside the candidates
        -- (another claimer holds it): the key's tasks after it wait their turn.
        v_cand_ids := ARRAY(SELECT c.id FROM unnest(v_cands) AS c);
        SELECT coalesce(array_agg(f.rr_sem), '{}'), coalesce(array_agg(f.rr_seq), '{}'),
               coalesce(array_agg(f.id), '{}')
        INTO v_rr_sems, v_rr_seqs, v_rr_ids
        FROM (SELECT DISTINCT ON (k.sem) k.sem AS rr_sem, f.rr_seq, f.id
              FROM (SELECT DISTINCT c.rr_sem AS sem FROM unnest(v_cands) AS c WHERE c.rr_sem IS NOT NULL) k
              CROSS JOIN LATERAL (
                  SELECT q.rr_seq, q.id FROM hewer.queue q
                  WHERE q.rr_sem = k.sem AND q.ready_at <= p_now AND NOT (q.id = ANY (v_cand_ids))
                  ORDER BY q.rr_seq, q.id LIMIT 1) f) f;
        -- Greedy pass in queue order.
        FOREACH v_c IN ARRAY v_cands LOOP
            EXIT WHEN cardinality(v_picked) >= v_want OR v_free <= 0;
            CONTINUE WHEN v_c.slots > v_free;
            -- Within a round-robin key, a task whose key has an earlier ready
            -- task outside this claim's candidates (another claimer holds it)
            -- waits its turn, so concurrent claimers cannot let a key run
            -- ahead of the rotation. Earlier tasks this claim passed over
            -- (stopped by another limit) do not hold it back.
            IF v_c.rr_sem IS NOT NULL THEN
                v_p := array_position(v_rr_sems, v_c.rr_sem);
                CONTINUE WHEN v_p IS NOT NULL AND (v_rr_seqs[v_p], v_rr_ids[v_p]) < (v_c.rr_seq, v_c.id)
                              AND NOT (v_c.run_id = ANY (v_held_runs));
            END IF;
            v_task_holds := '{}';
            v_ok := true;
            IF v_tenant_sem IS NOT NULL THEN
                v_task_holds := v_task_holds || v_tenant_sem;
            END IF;
            v_p := array_position(v_action_names, v_c.action);
            IF v_p IS NOT NULL THEN
                v_task_holds := v_task_holds || v_action_sems[v_p];
            END IF;
            IF v_c.step_sem IS NOT NULL THEN
                v_task_holds := v_task_holds || v_c.step_sem;
            END IF;
            FOREACH v_h IN ARRAY v_task_holds LOOP
                IF v_sem_room[array_position(v_sem_ids, v_h)] < 1 THEN
                    v_ok := false;
                END IF;
            END LOOP;
            -- The run's workflow slot, unless it already holds it.
            IF v_ok AND v_c.run_sem IS NOT NULL AND NOT (v_c.run_id = ANY (v_held_runs))
               AND NOT (v_c.run_id = ANY (v_new_runs)) THEN
                v_i := array_position(v_sem_ids, v_c.run_sem);
                IF v_sem_room[v_i] < 1 THEN
                    v_ok := false;
                END IF;
            END IF;
            CONTINUE WHEN NOT v_ok;
            -- Tokens: all of its buckets must have enough, or it waits.
            IF v_c.rate_names IS NOT NULL THEN
                v_wait := 0;
                FOR v_j IN 1 .. cardinality(v_c.rate_names) LOOP
                    v_p := array_position(v_bk_ids, v_c.rate_names[v_j] || E'\x1f' || v_c.rate_keys[v_j]);
                    CONTINUE WHEN v_p IS NULL;  -- the limit was deleted
                    v_units := least(v_c.rate_units[v_j], v_bk[v_p].burst);
                    IF v_bk[v_p].tokens < v_units THEN
                        -- Behind the tasks already waiting on this bucket: each
                        -- becomes ready when its own tokens will be there, so a
                        -- backlog is not looked at again all at once.
                        v_wait := greatest(v_wait, (v_bk[v_p].debt + v_units - v_bk[v_p].tokens) / v_bk[v_p].rate);
                    END IF;
                END LOOP;
                IF v_wait > 0 THEN
                    FOR v_j IN 1 .. cardinality(v_c.rate_names) LOOP
                        v_p := array_position(v_bk_ids, v_c.rate_names[v_j] || E'\x1f' || v_c.rate_keys[v_j]);
                        CONTINUE WHEN v_p IS NULL;
                        v_units := least(v_c.rate_units[v_j], v_bk[v_p].burst);
                        IF v_bk[v_p].tokens < v_units THEN
                            v_bk[v_p].debt := v_bk[v_p].debt + v_units;
                        END IF;
                    END LOOP;
                    v_deferred := v_deferred || v_c.id;
                    v_defer_at := v_defer_at || (p_now + make_interval(secs => v_wait));
                    CONTINUE;
                END IF;
                FOR v_j IN 1 .. cardinality(v_c.rate_names) LOOP
                    v_p := array_position(v_bk_ids, v_c.rate_names[v_j] || E'\x1f' || v_c.rate_keys[v_j]);
                    CONTINUE WHEN v_p IS NULL;
                    v_bk[v_p].tokens := v_bk[v_p].tokens - least(v_c.rate_units[v_j], v_bk[v_p].burst);
                END LOOP;
            END IF;
            FOREACH v_h IN ARRAY v_task_holds LOOP
                v_i := array_position(v_sem_ids, v_h);
                v_sem_room[v_i] := v_sem_room[v_i] - 1;
            END LOOP;
            IF v_c.run_sem IS NOT NULL AND NOT (v_c.run_id = ANY (v_held_runs))
               AND NOT (v_c.run_id = ANY (v_new_runs)) THEN
                v_i := array_position(v_sem_ids, v_c.run_sem);
                v_sem_room[v_i] := v_sem_room[v_i] - 1;
                v_new_runs := v_new_runs || v_c.run_id;
                v_new_run_sems := v_new_run_sems || v_c.run_sem;
            END IF;
            v_picked := v_picked || v_c.id;
            v_holds := v_holds || CASE WHEN cardinality(v_task_holds) > 0 THEN to_jsonb(v_task_holds) END;
            v_free := v_free - v_c.slots;
        END LOOP;

        -- Write back: semaphore counts, run holds, buckets, deferrals.
        UPDATE hewer.semaphores s SET running = s.running + d.n
        FROM (SELECT h.id, count(*) AS n
              FROM (SELECT jsonb_array_elements_text(x)::bigint AS id FROM unnest(v_holds) AS u(x)
                    UNION ALL SELECT unnest(v_new_run_sems)) h
              GROUP BY h.id) d
        WHERE s.id = d.id;
        INSERT INTO hewer.run_holds (run_id, sem_id, tenant_id)
        SELECT u.r, u.s, v_tenant FROM unnest(v_new_runs, v_new_run_sems) AS u(r, s);
        IF cardinality(v_bk) > 0 THEN
            UPDATE hewer.rate_buckets b SET tokens = u.tokens, refilled_at = p_now
            FROM unnest(v_bk) AS u
            WHERE b.tenant_id = v_tenant AND b.name = u.name AND b.key = u.key;
        END IF;
        IF cardinality(v_deferred) > 0 THEN
            UPDATE hewer.queue q SET ready_at = u.at
            FROM unnest(v_deferred, v_defer_at) AS u(id, at) WHERE q.id = u.id;
        END IF;
    END IF;

    IF cardinality(v_picked) = 0 THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH picked AS (
        SELECT u.id, u.holds FROM unnest(v_picked, v_holds) AS u(id, holds)
    ), taken AS (
        DELETE FROM hewer.queue q USING picked p WHERE q.id = p.id
        RETURNING q.id AS queue_id, q.task_id, p.holds, q.sticky
    ), assigned AS (
        UPDATE hewer.tasks t
        SET status = 'assigned', attempt = t.attempt + 1, worker_id = p_worker_id,
            assigned_at = p_now, started_at = NULL, timeout_at = p_now + t.execution_timeout,
            error = NULL,
            holds = CASE WHEN k.holds IS NOT NULL
                         THEN ARRAY(SELECT jsonb_array_elements_text(k.holds)::bigint) END
        FROM taken k
        WHERE t.id = k.task_id AND t.status = 'queued'
        RETURNING t.id, t.attempt, t.run_id, t.step, t.action, t.parent_ids, t.priority,
                  t.timeout_at, k.queue_id, t.queued_at, k.sticky
    ), run_lock AS (
        -- Runs that start now, and sticky runs that get their worker now (docs/affinity.md).
        SELECT r.id FROM hewer.runs r
        WHERE r.id IN (SELECT a.run_id FROM assigned a)
          AND (r.status = 'queued'
               OR (r.sticky_worker_id IS NULL
                   AND r.id IN (SELECT a.run_id FROM assigned a WHERE a.sticky IS NOT NULL)))
        FOR UPDATE SKIP LOCKED
    ), run_started AS (
        UPDATE hewer.runs r
        SET status = CASE WHEN r.status = 'queued' THEN 'running'::hewer.run_status ELSE r.status END,
            started_at = CASE WHEN r.status = 'queued' THEN p_now ELSE r.started_at END,
            sticky_worker_id = CASE
                WHEN r.sticky_worker_id IS NULL
                     AND r.id IN (SELECT a.run_id FROM assigned a WHERE a.sticky IS NOT NULL)
                THEN p_worker_id ELSE r.sticky_worker_id END
        FROM run_lock l WHERE r.id = l.id
    ), logged AS (
        INSERT INTO hewer.task_events (tenant_id, id, task_id, run_id, attempt, kind, status, worker_id, created_at)
        SELECT v_tenant, hewer.uuidv7(), a.id, a.run_id, a.attempt, 'assigned', 'assigned', p_worker_id, p_now
        FROM assigned a
    )
    SELECT a.id, a.attempt, a.run_id, w.name, a.step, a.action, r.input,
           CASE WHEN cardinality(a.parent_ids) = 0 THEN '{}'::jsonb
                ELSE (SELECT coalesce(jsonb_object_agg(p.step, p.output), '{}')
                      FROM hewer.tasks p WHERE p.id = ANY (a.parent_ids)) END,
           a.priority, a.timeout_at,
           -- The run's trace context (docs/observability.md#traces), if it is the size of
           -- one: the dispatcher parses it and ignores anything malformed.
           CASE WHEN length(r.additional_metadata->>'traceparent') = 55
                THEN r.additional_metadata->>'traceparent' END,
           -- Seconds from when the task became claimable to this claim (metrics).
           greatest(extract(epoch FROM p_now - a.queued_at), 0)::float8
    FROM assigned a
    JOIN hewer.runs r ON r.id = a.run_id
    JOIN hewer.workflows w ON w.id = r.workflow_id
    ORDER BY a.priority DESC, a.queue_id;
END
$$;
