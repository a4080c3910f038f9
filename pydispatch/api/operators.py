"""Workers, rate and concurrency limits, and the tenant's tokens; tenants themselves for
the operator (the admin token)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Query

from pydispatch.api.core import Caller, Operator, Who, not_found
from pydispatch.api.models import (
    ConcurrencyLimit,
    ConcurrencyLimitRequest,
    NewToken,
    Problem,
    RateLimit,
    RateLimitRequest,
    Removed,
    Tenant,
    TenantCaps,
    TenantRequest,
    Token,
    TokenRequest,
    Worker,
)

REFUSED: Final[dict[int | str, dict[str, Any]]] = {
    403: {"model": Problem},
    404: {"model": Problem},
    409: {"model": Problem},
}

router = APIRouter()


# --- workers ------------------------------------------------------------------------------


@router.get("/v1/workers", tags=["workers"])
async def list_workers(
    who: Who,
    status: Annotated[
        list[Literal["active", "draining", "stopped", "dead"]] | None, Query()
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> list[Worker]:
    """Workers, newest first, with the tasks each holds."""
    rows = await who.rows("worker_list", {"statuses": status, "limit": limit})
    return [Worker.model_validate(r) for r in rows]


@router.get("/v1/workers/{worker_id}", tags=["workers"], responses=REFUSED)
async def get_worker(worker_id: uuid.UUID, who: Who) -> Worker:
    """A worker: actions, slots, labels, status, last heartbeat, the tasks it holds."""
    row = await who.row("worker_get", {"worker_id": worker_id})
    if row is None:
        raise not_found(f"worker {worker_id}")
    return Worker.model_validate(row)


# --- limits -------------------------------------------------------------------------------


@router.get("/v1/rate-limits", tags=["limits"])
async def list_rate_limits(who: Who) -> list[RateLimit]:
    """Rate limits (token buckets), with their keyed buckets and tokens left."""
    return [RateLimit.model_validate(r) for r in await who.rows("rate_limit_list", {})]


@router.put("/v1/rate-limits/{name}", tags=["limits"], responses=REFUSED)
async def set_rate_limit(name: str, body: RateLimitRequest, who: Who) -> RateLimit:
    """Create or change a rate limit: `rate` tokens per `period`, up to `burst` saved."""
    period = body.period if isinstance(body.period, str) else f"{body.period} seconds"
    await who.one(
        "rate_limit_set", {"name": name, "rate": body.rate, "period": period, "burst": body.burst}
    )
    for row in await who.rows("rate_limit_list", {}):
        if row["name"] == name:
            return RateLimit.model_validate(row)
    raise not_found(f"rate limit {name!r}")


@router.delete("/v1/rate-limits/{name}", tags=["limits"], responses=REFUSED)
async def delete_rate_limit(name: str, who: Who) -> Removed:
    """Remove a rate limit (steps that use it then wait for it to be set again)."""
    row = await who.one("rate_limit_delete", {"name": name})
    return Removed(removed=row["removed"])


@router.get("/v1/concurrency-limits", tags=["limits"])
async def list_concurrency_limits(who: Who) -> list[ConcurrencyLimit]:
    """Tenant and action concurrency limits, with the tasks they count now."""
    return [
        ConcurrencyLimit.model_validate(r) for r in await who.rows("concurrency_limit_list", {})
    ]


@router.put("/v1/concurrency-limits/action/{name}", tags=["limits"], responses=REFUSED)
async def set_action_limit(name: str, body: ConcurrencyLimitRequest, who: Who) -> ConcurrencyLimit:
    """At most `max` tasks of an action at once, across workflows. The tenant-wide limit
    is the operator's: PATCH /v1/tenants/{name}."""
    await who.rows("concurrency_limit_set", {"scope": "action", "name": name, "max": body.max})
    for row in await who.rows("concurrency_limit_list", {}):
        if (row["scope"], row["name"]) == ("action", name):
            return ConcurrencyLimit.model_validate(row)
    raise not_found(f"concurrency limit of action {name!r}")


@router.delete("/v1/concurrency-limits/action/{name}", tags=["limits"], responses=REFUSED)
async def delete_action_limit(name: str, who: Who) -> Removed:
    """Remove an action's concurrency limit."""
    had = any(
        (r["scope"], r["name"]) == ("action", name)
        for r in await who.rows("concurrency_limit_list", {})
    )
    await who.rows("concurrency_limit_set", {"scope": "action", "name": name, "max": None})
    return Removed(removed=had)


# --- the tenant's tokens --------------------------------------------------------------------


async def _own_tenant(who: Caller) -> str:
    row = await who.one("tenant_name", {})
    name: str = row["name"]
    return name


@router.get("/v1/tokens", tags=["tokens"])
async def list_tokens(who: Who) -> list[Token]:
    """The caller's tenant's API tokens (never their secrets)."""
    rows = await who.rows("token_list", {"tenant": await _own_tenant(who)})
    return [Token.model_validate(r) for r in rows]


@router.post("/v1/tokens", tags=["tokens"], status_code=201, responses=REFUSED)
async def create_token(body: TokenRequest, who: Who) -> NewToken:
    """A new API token for the caller's tenant; its secret is shown this once."""
    row = await who.one(
        "token_create",
        {"name": body.name, "tenant": await _own_tenant(who), "expires_at": body.expires_at},
    )
    return NewToken.model_validate(row)


@router.delete("/v1/tokens/{token_id}", tags=["tokens"], responses=REFUSED)
async def revoke_token(token_id: uuid.UUID, who: Who) -> Removed:
    """Revoke one of the tenant's tokens: calls presenting it are refused from now on."""
    owned = await who.one("token_owned", {"token_id": token_id})
    if not owned["owned"]:
        raise not_found(f"token {token_id}")
    row = await who.one("token_revoke", {"token_id": token_id})
    return Removed(removed=row["revoked"])


# --- tenants (the operator) -------------------------------------------------------------------


@router.get("/v1/tenants", tags=["tenants"], responses=REFUSED)
async def list_tenants(op: Operator) -> list[Tenant]:
    """Every tenant, with its limits (admin token)."""
    return [Tenant.model_validate(r) for r in await op.rows("tenant_list", {})]


@router.post("/v1/tenants", tags=["tenants"], status_code=201, responses=REFUSED)
async def create_tenant(body: TenantRequest, op: Operator) -> Tenant:
    """A tenant, with its limits (admin token)."""
    return Tenant.model_validate(await op.one("tenant_create", body.model_dump()))


@router.patch("/v1/tenants/{name}", tags=["tenants"], responses=REFUSED)
async def update_tenant(name: str, body: TenantCaps, op: Operator) -> Tenant:
    """Change a tenant's limits: absent fields keep theirs, 0 removes one (admin token)."""
    return Tenant.model_validate(await op.one("tenant_update", {**body.model_dump(), "name": name}))


@router.get("/v1/tenants/{name}/tokens", tags=["tenants"], responses=REFUSED)
async def list_tenant_tokens(name: str, op: Operator) -> list[Token]:
    """A tenant's API tokens (admin token)."""
    return [Token.model_validate(r) for r in await op.rows("token_list", {"tenant": name})]


@router.post("/v1/tenants/{name}/tokens", tags=["tenants"], status_code=201, responses=REFUSED)
async def create_tenant_token(name: str, body: TokenRequest, op: Operator) -> NewToken:
    """A new API token for a tenant; its secret is shown this once (admin token)."""
    row = await op.one(
        "token_create", {"name": body.name, "tenant": name, "expires_at": body.expires_at}
    )
    return NewToken.model_validate(row)


@router.delete("/v1/tenants/{name}/tokens/{token_id}", tags=["tenants"], responses=REFUSED)
async def revoke_tenant_token(name: str, token_id: uuid.UUID, op: Operator) -> Removed:
    """Revoke a tenant's token (admin token)."""
    if not any(t["token_id"] == token_id for t in await op.rows("token_list", {"tenant": name})):
        raise not_found(f"token {token_id} of tenant {name!r}")
    row = await op.one("token_revoke", {"token_id": token_id})
    return Removed(removed=row["revoked"])
