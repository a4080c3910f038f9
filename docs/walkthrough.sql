-- A three-step DAG driven with SQL alone: fetch -> (summarize, embed).
-- Run it with:  psql "$(hewer db url)" -f docs/walkthrough.sql
\set ON_ERROR_STOP on

-- 1. Register the workflow: fetch first, then summarize and embed in parallel.
SELECT version, created FROM hewer.workflow_register('digest', '{
  "steps": [
    {"name": "fetch", "retries": 2, "timeout": "30s"},
    {"name": "summarize", "parents": ["fetch"]},
    {"name": "embed", "parents": ["fetch"]}
  ]}');

-- 2. Trigger a run (inside your own transaction if you like).
SELECT run_id FROM hewer.run_trigger('digest', ARRAY['{"url": "https://example.com"}'::jsonb]) \gset

-- 3. A worker registers the actions it runs and claims work.
SELECT hewer.worker_register('psql-worker', ARRAY['digest:fetch', 'digest:summarize', 'digest:embed'], 4)
    AS worker_id \gset
SELECT task_id AS fetch_id, attempt, step, input
FROM hewer.task_claim(:'worker_id', 10) \gset

-- 4. The first attempt fails; it is retried after its backoff.
SELECT accepted FROM hewer.task_fail(ARRAY[:'fetch_id'::uuid], ARRAY[1], ARRAY['{"message": "timeout"}'::jsonb]);
SELECT t.step, t.status, t.attempt FROM hewer.run_get(ARRAY[:'run_id'::uuid]) r,
       jsonb_to_recordset(r.tasks) AS t(step text, status text, attempt int);

-- 5. Claim the retry (pretending it is a few seconds later) and complete it.
SELECT task_id, attempt FROM hewer.task_claim(:'worker_id', 10, now() + interval '5 seconds');
SELECT accepted FROM hewer.task_complete(ARRAY[:'fetch_id'::uuid], ARRAY[2],
                                         ARRAY['{"text": "Hello from the web"}'::jsonb]);

-- 6. Both children are ready now, with fetch's output as their parents' input.
SELECT array_agg(task_id ORDER BY step) AS children, array_agg(attempt ORDER BY step) AS attempts,
       array_agg(parents ORDER BY step) AS parents
FROM hewer.task_claim(:'worker_id', 10) \gset
\echo embed and summarize received: :parents
SELECT * FROM hewer.task_complete(:'children'::uuid[], :'attempts'::int[],
                                  ARRAY['{"vector": [0.1, 0.2]}', '{"summary": "Hello"}']::jsonb[]);

-- 7. The run has succeeded, with every step's output.
SELECT status, output FROM hewer.run_get(ARRAY[:'run_id'::uuid]);
