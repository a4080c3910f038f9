"""What every route uses: the caller's tenant from its token, the connection it acts on,
and errors as problems (RFC 9457)."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final

import psycopg
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg_pool import AsyncConnectionPool

from pydispatch.api.models import Problem
from pydispatch.error_codes import CODES
from pydispatch.tenancy import DEFAULT_TENANT
from pyworker.sqlfile import load

QUERIES: Final = load(Path(__file__).with_name("queries.sql"))

PROBLEM: Final = "application/problem+json"
_HTTP: Final = {c.code: (c.http, c.name) for c in CODES}
_STANDARD: Final = {
    "22P02": (400, "invalid_text_representation"),
    "22P05": (400, "untranslatable_character"),
    "22023": (400, "invalid_parameter_value"),
    "22003": (400, "numeric_value_out_of_range"),
    "40001": (409, "serialization_failure"),
    "40P01": (409, "deadlock_detected"),
    "55P03": (409, "lock_not_available"),
    "57014": (504, "query_canceled"),
    "53300": (503, "too_many_connections"),
}


class ApiError(Exception):
    """A refusal the API itself decides (not the database's)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        hint: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.problem = Problem(title=title, status=status, detail=detail, hint=hint, code=code)


@dataclass
class Caller:
    conn: AsyncConnection[DictRow]
    tenant: uuid.UUID

    async def rows(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        cur = await self.conn.execute(QUERIES[name], params)
        return await cur.fetchall()

    async def row(self, name: str, params: dict[str, Any]) -> dict[str, Any] | None:
        found = await self.rows(name, params)
        return found[0] if found else None

    async def one(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        """The one row of a query that always returns one (it raises instead of none)."""
        found = await self.row(name, params)
        if found is None:
            raise RuntimeError(f"query {name} returned no row")
        return found


def problem_response(problem: Problem) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(exclude_none=True), status_code=problem.status, media_type=PROBLEM
    )


def database_problem(exc: psycopg.Error) -> Problem:
    """A database error as a problem: its code's HTTP status, message and hint."""
    state = exc.sqlstate or ""
    status, title = _HTTP.get(state) or _STANDARD.get(state) or (0, "")
    if not status:
        if state.startswith("HW"):
            status, title = 409, "refused"
        elif state.startswith("08") or isinstance(exc, psycopg.OperationalError):
            status, title = 503, "database_unavailable"
        else:
            status, title = 500, "internal"
    diag = exc.diag
    detail = diag.message_primary or str(exc).strip() or type(exc).__name__
    if status >= 500 and not state.startswith("HW"):
        # Internal details stay in the server's log.
        detail = "the database failed on this request; retry, and see the API's log if it goes on"
    return Problem(
        title=title,
        status=status,
        detail=" ".join(detail.split()),
        code=state or None,
        hint=diag.message_hint if status < 500 or state.startswith("HW") else None,
    )


SECURITY_SCHEMES: Final = {
    "token": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token (hewer tokens create, POST /v1/tokens); the admin token "
        "for /v1/tenants. Optional while no token exists at all (the default tenant).",
    }
}


def bearer_of(request: Request) -> str:
    """The token of the request's `Authorization: Bearer <token>` ("" without the header)."""
    return bearer(request.headers.get("authorization"))


def bearer(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header ("" without the header)."""
    if authorization is None:
        return ""
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "bad_authorization",
            "the Authorization header must be `Bearer <token>`",
            "Send the API token from hewer tokens create as: Authorization: Bearer hwt_...",
        )
    return token.strip()


ADMIN_REFUSED: Final = (
    "the admin token manages tenants and their tokens only; act for a tenant with one of its "
    "API tokens"
)


def is_admin(request: Request, token: str) -> bool:
    """Whether `token` is the API's admin token (HEWER_API_ADMIN_TOKEN), compared in
    constant time."""
    admin: str | None = request.app.state.admin_token
    return bool(admin and token) and hmac.compare_digest(token.encode(), (admin or "").encode())


async def _tenant_of(request: Request, conn: AsyncConnection[DictRow], token: str) -> uuid.UUID:
    if is_admin(request, token):
        raise ApiError(
            403,
            "admin_token",
            ADMIN_REFUSED,
            "Create a tenant token with POST /v1/tenants/{name}/tokens and use it here.",
        )
    cur = await conn.execute(QUERIES["token_tenant"], {"token": token})
    row = await cur.fetchone()
    if row is None:
        raise RuntimeError("hewer.token_tenant returned no row")
    tenant: uuid.UUID = row["tenant"]
    await request.app.state.tenants.use(conn, tenant)
    return tenant


async def caller(request: Request) -> AsyncIterator[Caller]:
    """The request's tenant (from its token) on a connection of the pool, for the request."""
    token = bearer_of(request)
    pool: AsyncConnectionPool[AsyncConnection[DictRow]] = request.app.state.pool
    async with pool.connection() as conn:
        yield Caller(conn, await _tenant_of(request, conn, token))


async def operator(request: Request) -> AsyncIterator[Caller]:
    """The operator, by the admin token `hewer api` was started with: tenants and their
    tokens. The connection acts for the default tenant."""
    if not request.app.state.admin_token:
        raise ApiError(
            403,
            "admin_disabled",
            "tenant administration over HTTP is off: this API has no admin token",
            "Start hewer api with HEWER_API_ADMIN_TOKEN set to a secret of 32 characters or "
            "more, and send it as Authorization: Bearer <secret>; or use hewer tenants.",
        )
    if not is_admin(request, bearer_of(request)):
        raise ApiError(
            403,
            "admin_only",
            "this endpoint needs the API's admin token",
            "Send Authorization: Bearer <HEWER_API_ADMIN_TOKEN>; tenant tokens cannot manage "
            "tenants.",
        )
    pool: AsyncConnectionPool[AsyncConnection[DictRow]] = request.app.state.pool
    async with pool.connection() as conn:
        await request.app.state.tenants.use(conn, DEFAULT_TENANT)
        yield Caller(conn, DEFAULT_TENANT)


Who = Annotated[Caller, Depends(caller)]
Operator = Annotated[Caller, Depends(operator)]


@asynccontextmanager
async def as_tenant_conn(request: Request, token: str) -> AsyncIterator[Caller]:
    """The token's tenant on a connection held just for the block (the token checked again)."""
    pool: AsyncConnectionPool[AsyncConnection[DictRow]] = request.app.state.pool
    async with pool.connection() as conn:
        yield Caller(conn, await _tenant_of(request, conn, token))


async def as_tenant(
    request: Request, token: str, name: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """One query for the token's tenant on a connection held just for it (for streams,
    which must not hold a connection between polls); the token is checked again."""
    pool: AsyncConnectionPool[AsyncConnection[DictRow]] = request.app.state.pool
    async with pool.connection() as conn:
        await _tenant_of(request, conn, token)
        cur = await conn.execute(QUERIES[name], params)
        return await cur.fetchall()


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} does not exist (it is visible only to its tenant)")
