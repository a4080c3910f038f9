-- The SQL of large payloads in object storage (pydispatch/payloads.py,
-- docs/payloads.md). Parameters use psycopg's %(name)s style.

-- name: payload_limits
-- The size over which a tenant's payload is offloaded, and the largest object allowed.
SELECT threshold, max_offload FROM hewer.payload_limits(%(tenant)s);

-- name: payload_lookup
-- The size and checksum of each key a row of the tenant holds (others: no row).
SELECT key, size, sha256 FROM hewer.payload_lookup(%(tenant)s, %(keys)s);

-- name: payload_offload_due
-- Candidates whose owner is done, each put off by retry (pydispatch/payload_upkeep.py).
SELECT owner_table, owner_id, tenant_id, kind, size
FROM hewer.payload_offload_due(%(limit)s, %(retry)s, %(event_age)s);

-- name: payload_text
-- The payload's JSON text as the object holds it; NULL when its row is gone.
SELECT hewer.payload_text(%(owner_table)s, %(owner_id)s) AS text;

-- name: payload_swap
-- The payload replaced by the reference, if the row still holds those bytes.
SELECT hewer.payload_swap(%(owner_table)s, %(owner_id)s, %(ref)s::jsonb) AS swapped;

-- name: payload_backfill
SELECT last_id, scanned, queued FROM hewer.payload_backfill(%(owner_table)s, %(after)s, %(limit)s);

-- name: payload_refs_prune
-- References no row holds any more; the keys no reference holds now.
SELECT key, tenant_id FROM hewer.payload_refs_prune();

-- name: payload_keys_held
SELECT key FROM hewer.payload_keys_held(%(keys)s);

-- name: payload_status
SELECT tenant, refs, objects, bytes, candidates, candidates_due FROM hewer.payload_status();
