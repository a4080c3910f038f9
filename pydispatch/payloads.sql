-- The SQL of large payloads in object storage (pydispatch/payloads.py,
-- docs/payloads.md). Parameters use psycopg's %(name)s style.

-- name: payload_limits
-- The size over which a tenant's payload is offloaded, and the largest object allowed.
SELECT threshold, max_offload FROM hewer.payload_limits(%(tenant)s);

-- name: payload_lookup
-- The size and checksum of each key a row of the tenant holds (others: no row).
SELECT key, size, sha256 FROM hewer.payload_lookup(%(tenant)s, %(keys)s);
