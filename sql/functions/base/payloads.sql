-- Payload references: a large run input, task output or event payload kept in
-- object storage (docs/payloads.md). The column holds
--
--   {"$hewer_ref": {"v": 1, "key": "<tenant id>/<kind>/...", "size": N, "sha256": "<hex>"}}
--
-- and the object holds the payload's JSON text (size bytes of UTF-8 whose
-- SHA-256 is sha256). Hewer's servers write and resolve references; a SQL
-- reader sees them and resolves them as docs/payloads.md shows.

-- hewer._payload_ref(value, tenant) -> (key, size, sha256): a reference's
-- fields, checked: '$hewer_ref' is reserved, so an object holding it must be a
-- well-formed reference to an object under the tenant's own prefix, of at most
-- the offload limit (hewer._payload_limit('offload')). HW011 names what is
-- wrong with it, HW010 a size over the limit.
CREATE OR REPLACE FUNCTION hewer._payload_ref(p_value jsonb, p_tenant uuid,
    OUT key text, OUT size bigint, OUT sha256 text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ref jsonb := p_value -> '$hewer_ref';
    v_limit bigint;
BEGIN
    IF (SELECT count(*) FROM jsonb_object_keys(p_value)) <> 1 OR jsonb_typeof(v_ref) <> 'object' THEN
        RAISE EXCEPTION 'a payload holds the key "$hewer_ref" but is not a payload reference'
            USING ERRCODE = 'HW011',
                  HINT = 'The top-level key "$hewer_ref" is reserved for references to offloaded payloads '
                         '(docs/payloads.md): rename it, or nest the value one level down.';
    END IF;
    IF v_ref -> 'v' IS DISTINCT FROM '1'::jsonb
       OR jsonb_typeof(v_ref -> 'key') IS DISTINCT FROM 'string'
       OR jsonb_typeof(v_ref -> 'size') IS DISTINCT FROM 'number'
       OR jsonb_typeof(v_ref -> 'sha256') IS DISTINCT FROM 'string' THEN
        RAISE EXCEPTION 'payload reference % is malformed: it needs "v": 1, "key" (a string), "size" (a number) and "sha256" (a string)',
            left(v_ref::text, 300)
            USING ERRCODE = 'HW011', HINT = 'See the reference format in docs/payloads.md.';
    END IF;
    key := v_ref ->> 'key';
    sha256 := v_ref ->> 'sha256';
    IF NOT (v_ref ->> 'size') ~ '^[0-9]{1,18}$' THEN
        RAISE EXCEPTION 'payload reference %: size % is not a whole number of bytes', key, v_ref -> 'size'
            USING ERRCODE = 'HW011', HINT = 'size is the object''s length in bytes.';
    END IF;
    size := (v_ref ->> 'size')::bigint;
    IF sha256 !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'payload reference %: sha256 % is not 64 lowercase hex digits', key, left(sha256, 80)
            USING ERRCODE = 'HW011', HINT = 'sha256 is the hex SHA-256 of the object''s bytes.';
    END IF;
    IF NOT starts_with(key, p_tenant::text || '/') OR length(key) > 512
       OR key !~ '^[0-9a-f-]{36}(/[A-Za-z0-9._=-]+)+$' OR key ~ '/\.\.?(/|$)' THEN
        RAISE EXCEPTION 'payload reference % does not name an object of tenant %', left(key, 200), p_tenant
            USING ERRCODE = 'HW011',
                  HINT = 'A key starts with the tenant''s id and a slash and is at most 512 characters of '
                         'letters, digits and ._=-/; a tenant refers only to its own objects.';
    END IF;
    v_limit := hewer._payload_limit('offload', p_tenant);
    IF size > v_limit THEN
        RAISE EXCEPTION 'payload reference %: the object is % bytes, over the offload limit of % bytes', key, size, v_limit
            USING ERRCODE = 'HW010',
                  HINT = 'Raise it with ALTER DATABASE ... SET hewer.max_offload_bytes = ''256MB'' '
                         '(and a tenant''s own limit: hewer tenants update NAME --max-offload-bytes N).';
    END IF;
END
$$;

-- hewer._payload_swapped(old row, new row, column) -> boolean: whether an
-- update only replaced the column's payload by a reference to an object
-- holding exactly that payload (its JSON text: same size, same SHA-256), as
-- the offloader does. The history guard lets such an update through in a
-- trusted session.
CREATE OR REPLACE FUNCTION hewer._payload_swapped(p_old jsonb, p_new jsonb, p_column text)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_new jsonb := p_new -> p_column;
    v_old bytea;
BEGIN
    IF NOT hewer._trusted() OR jsonb_typeof(v_new) IS DISTINCT FROM 'object' OR NOT v_new ? '$hewer_ref'
       OR jsonb_typeof(p_old -> p_column) = 'object' AND p_old -> p_column ? '$hewer_ref'
       OR p_new - p_column <> p_old - p_column THEN
        RETURN false;
    END IF;
    v_old := convert_to((p_old -> p_column)::text, 'UTF8');
    RETURN v_new -> '$hewer_ref' ->> 'sha256' = encode(pg_catalog.sha256(v_old), 'hex')
       AND v_new -> '$hewer_ref' ->> 'size' = octet_length(v_old)::text;
END
$$;

-- hewer.payload_limits(tenant) -> (threshold, max_offload): the size over
-- which Hewer's servers put a payload of the tenant in object storage, and the
-- largest object they may store for it. For trusted roles (the servers).
CREATE OR REPLACE FUNCTION hewer.payload_limits(p_tenant uuid)
RETURNS TABLE (threshold bigint, max_offload bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT hewer._payload_limit('offload_threshold', p_tenant), hewer._payload_limit('offload', p_tenant)
$$;

-- hewer.payload_lookup(tenant, keys[]) -> (key, size, sha256): the objects
-- among keys that a row of the tenant holds, with the size and checksum
-- recorded when the reference was stored. A reader resolves a reference only
-- through this: a key another tenant's row holds, or that no row holds, is
-- not returned. For trusted roles; a tenant's own session reads
-- hewer.payload_refs (row-level security shows it its own rows).
CREATE OR REPLACE FUNCTION hewer.payload_lookup(p_tenant uuid, p_keys text[])
RETURNS TABLE (key text, size bigint, sha256 text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT DISTINCT ON (r.key) r.key, r.size, r.sha256
    FROM hewer.payload_refs r
    WHERE r.tenant_id = p_tenant AND r.key = ANY (p_keys)
    ORDER BY r.key, r.created_at
$$;
