-- Undo 0003_concurrency_rate_limits.sql.

DROP TABLE hewer.rate_buckets, hewer.rate_limits, hewer.run_holds, hewer.semaphores,
    hewer.concurrency_limits;
DROP INDEX hewer.queue_rr_group_idx, hewer.queue_rr_sem_idx, hewer.queue_claim_idx;
CREATE INDEX queue_claim_idx ON hewer.queue (tenant_id, action, priority DESC, id);
ALTER TABLE hewer.queue
    DROP COLUMN run_id, DROP COLUMN slots, DROP COLUMN run_sem, DROP COLUMN run_sem_max,
    DROP COLUMN step_sem, DROP COLUMN step_sem_max, DROP COLUMN rate_names,
    DROP COLUMN rate_keys, DROP COLUMN rate_units, DROP COLUMN rr_group, DROP COLUMN rr_sem,
    DROP COLUMN rr_seq;
ALTER TABLE hewer.tasks
    DROP COLUMN slots, DROP COLUMN limits, DROP COLUMN holds;
DROP INDEX hewer.runs_concurrency_key_idx;
ALTER TABLE hewer.runs DROP COLUMN concurrency_key;
ALTER TABLE hewer.steps
    DROP COLUMN concurrency_key, DROP COLUMN concurrency_key_sql, DROP COLUMN concurrency_max,
    DROP COLUMN concurrency_strategy, DROP COLUMN slots, DROP COLUMN rate_limits;
ALTER TABLE hewer.workflow_versions
    DROP COLUMN concurrency_key, DROP COLUMN concurrency_key_sql, DROP COLUMN concurrency_max,
    DROP COLUMN concurrency_strategy;

UPDATE hewer.meta SET schema_version = 2;
