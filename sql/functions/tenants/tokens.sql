-- hewer.token_create(name, tenant?, expires_at?) -> (token_id, tenant, name, token, expires_at)
-- hewer.token_list(tenant?) -> the tokens of a tenant (all tenants: trusted, tenant NULL)
-- hewer.token_revoke(token_id) -> true if this call revoked it
-- hewer.token_tenant(token?) -> the tenant a token acts for (the dispatcher's check)
-- hewer.tokens_valid(token_ids[]) -> those still valid (streams re-check theirs)
--
-- API tokens authenticate gRPC and CLI clients: `hwt_<32 hex id>_<64 hex
-- secret>`, shown once by token_create; only the SHA-256 of the secret is
-- stored. tenant: a tenant name, NULL = the caller's tenant; a tenant role
-- manages its own tenant's tokens only (HW095). A revoked token is refused
-- by the next call that presents it; token_revoke also NOTIFYs hewer_tokens
-- with the token id, and dispatchers end the worker streams it opened.
--
-- Without a token, token_tenant answers the default tenant while no valid
-- token exists at all (single-tenant use needs no ceremony); once one does,
-- every client must present one.
-- Locks: the token row (revoke). Errors: HW093 bad, unknown, revoked or
-- expired token, or a bad name; HW092 unknown tenant; HW095 not trusted.
CREATE OR REPLACE FUNCTION hewer.token_create(
    p_name text, p_tenant text DEFAULT NULL, p_expires_at timestamptz DEFAULT NULL)
RETURNS TABLE (token_id uuid, tenant text, name text, token text, expires_at timestamptz)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := hewer._tenant_id('token_create', p_tenant);
    v_id uuid := hewer.uuidv7();
    v_secret text := encode(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()), 'hex');
BEGIN
    IF p_name IS NULL OR NOT hewer._valid_name(p_name) THEN
        RAISE EXCEPTION 'token_create: % is not a valid token name', coalesce(quote_literal(p_name), 'NULL')
            USING ERRCODE = 'HW093',
                  HINT = 'A name is 1 to 128 characters: letters, digits and _ . : - (e.g. ''ci-worker'').';
    END IF;
    IF p_expires_at IS NOT NULL AND (NOT isfinite(p_expires_at) OR p_expires_at <= now()) THEN
        RAISE EXCEPTION 'token_create: expires_at % is not a time in the future', p_expires_at
            USING ERRCODE = 'HW093', HINT = 'Pass a future time, or NULL for a token that does not expire.';
    END IF;
    IF EXISTS (SELECT 1 FROM hewer.api_tokens k WHERE k.tenant_id = v_tenant AND k.name = p_name) THEN
        RAISE EXCEPTION 'token_create: this tenant has a token named % already', quote_literal(p_name)
            USING ERRCODE = 'HW093', HINT = 'Pick another name (names stay taken after a revoke).';
    END IF;
    INSERT INTO hewer.api_tokens (tenant_id, id, name, secret_sha256, created_at, expires_at)
    VALUES (v_tenant, v_id, p_name, sha256(convert_to(v_secret, 'UTF8')), now(), p_expires_at);
    RETURN QUERY
    SELECT v_id, t.name, p_name, 'hwt_' || replace(v_id::text, '-', '') || '_' || v_secret, p_expires_at
    FROM hewer.tenants t WHERE t.id = v_tenant;
END
$$;

CREATE OR REPLACE FUNCTION hewer.token_list(p_tenant text DEFAULT NULL)
RETURNS TABLE (token_id uuid, tenant text, name text, status text, created_at timestamptz,
               expires_at timestamptz, revoked_at timestamptz)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid;
BEGIN
    IF p_tenant IS NOT NULL OR NOT hewer._trusted() THEN
        v_tenant := hewer._tenant_id('token_list', p_tenant);
    END IF;
    RETURN QUERY
    SELECT k.id, t.name, k.name,
           CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked'
                WHEN k.expires_at <= now() THEN 'expired' ELSE 'active' END,
           k.created_at, k.expires_at, k.revoked_at
    FROM hewer.api_tokens k JOIN hewer.tenants t ON t.id = k.tenant_id
    WHERE v_tenant IS NULL OR k.tenant_id = v_tenant
    ORDER BY t.name, k.id;
END
$$;

CREATE OR REPLACE FUNCTION hewer.token_revoke(p_token_id uuid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_k record;
BEGIN
    SELECT k.tenant_id, k.revoked_at INTO v_k FROM hewer.api_tokens k
    WHERE k.id = p_token_id AND (hewer._trusted() OR k.tenant_id = hewer.current_tenant())
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'token_revoke: token % does not exist', coalesce(p_token_id::text, 'NULL')
            USING ERRCODE = 'HW093', HINT = 'List the tokens and their ids with: hewer tokens list.';
    END IF;
    IF v_k.revoked_at IS NOT NULL THEN
        RETURN false;
    END IF;
    UPDATE hewer.api_tokens k SET revoked_at = now() WHERE k.id = p_token_id;
    -- A hint without the id: dispatchers re-check the tokens their callers use.
    PERFORM pg_notify('hewer_tokens', '');
    RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION hewer.token_tenant(p_token text, p_now timestamptz DEFAULT now())
RETURNS uuid
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_parts text[];
    v_k record;
BEGIN
    PERFORM hewer._require_trusted('token_tenant');
    IF coalesce(p_token, '') = '' THEN
        IF EXISTS (SELECT 1 FROM hewer.api_tokens k
                   WHERE k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > p_now)) THEN
            RAISE EXCEPTION 'an API token is required: this Hewer has API tokens, so every client presents one'
                USING ERRCODE = 'HW093',
                      HINT = 'Set HEWER_TOKEN (or pass token=...) to a token from: hewer tokens create NAME --tenant TENANT.';
        END IF;
        RETURN '00000000-0000-0000-0000-000000000000'::uuid;
    END IF;
    v_parts := regexp_match(p_token, '^hwt_([0-9a-f]{32})_([0-9a-f]{64})$');
    IF v_parts IS NULL THEN
        RAISE EXCEPTION 'the API token is malformed (a token looks like hwt_<32 hex>_<64 hex>)'
            USING ERRCODE = 'HW093', HINT = 'Copy the whole token that hewer tokens create printed.';
    END IF;
    SELECT k.tenant_id, k.name, k.revoked_at, k.expires_at,
           k.secret_sha256 = sha256(convert_to(v_parts[2], 'UTF8')) AS ok
    INTO v_k FROM hewer.api_tokens k WHERE k.id = v_parts[1]::uuid;
    IF NOT FOUND OR NOT v_k.ok THEN
        RAISE EXCEPTION 'the API token is not valid: no token has this id and secret'
            USING ERRCODE = 'HW093', HINT = 'Create a token with: hewer tokens create NAME --tenant TENANT.';
    ELSIF v_k.revoked_at IS NOT NULL THEN
        RAISE EXCEPTION 'the API token % (%) was revoked at %', v_parts[1]::uuid, v_k.name, v_k.revoked_at
            USING ERRCODE = 'HW093', HINT = 'Create a new token with: hewer tokens create NAME.';
    ELSIF v_k.expires_at <= p_now THEN
        RAISE EXCEPTION 'the API token % (%) expired at %', v_parts[1]::uuid, v_k.name, v_k.expires_at
            USING ERRCODE = 'HW093', HINT = 'Create a new token with: hewer tokens create NAME.';
    END IF;
    RETURN v_k.tenant_id;
END
$$;

CREATE OR REPLACE FUNCTION hewer.tokens_valid(p_token_ids uuid[], p_now timestamptz DEFAULT now())
RETURNS SETOF uuid
LANGUAGE sql STABLE
AS $$
    SELECT k.id FROM hewer.api_tokens k
    WHERE k.id = ANY (p_token_ids) AND k.revoked_at IS NULL
      AND (k.expires_at IS NULL OR k.expires_at > p_now) AND hewer._trusted()
$$;
