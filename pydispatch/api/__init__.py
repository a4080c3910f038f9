"""The HTTP API: runs, workflows, events, workers, limits and tokens over JSON, for any
language with an HTTP client.

Built on FastAPI, which derives the OpenAPI 3.1 contract (`/openapi.json`, committed as
docs/openapi.json) from the typed models below, and served by uvicorn (`hewer api`).

- **Auth**: the API tokens of gRPC, as `Authorization: Bearer <token>`, resolved by
  hewer.token_tenant on every request; without any token, the default tenant while no token
  exists (the gRPC rule). Every call acts for the token's tenant: another tenant's runs do not
  exist for it (404).
- **Errors** are `application/problem+json` (RFC 9457) with Hewer's `code` (`HWxxx`) and
  `hint`; the HTTP status comes from the one list of codes (pydispatch/error_codes.py). Bad
  input is refused with 422 naming the field, before the database is asked anything.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool
from starlette.exceptions import HTTPException as StarletteHTTPException

from pydispatch import db, schema
from pydispatch.api import events, health, operators, runs, stats, web, workflows
from pydispatch.api.changes import Changes
from pydispatch.api.core import SECURITY_SCHEMES, ApiError, database_problem, problem_response
from pydispatch.api.models import FieldError, Problem
from pydispatch.payloads import Payloads
from pydispatch.telemetry import PROMETHEUS_CONTENT_TYPE, ApiMetricsMiddleware, ApiTelemetry
from pydispatch.tenancy import TenantSettings
from pydispatch.tracing import Tracing

__all__ = ["ApiError", "create_app", "database_problem", "openapi_document"]

MIN_ADMIN_TOKEN: Final = 32

log = logging.getLogger("hewer.api")


def operation_id(route: APIRoute) -> str:
    """A route's operationId: its function's name (trigger_run, list_workflows), which the
    generated clients use as method names."""
    return route.name


@asynccontextmanager
async def _signals(metrics: ApiTelemetry, tracing: Tracing) -> AsyncIterator[None]:
    """The API's metrics and spans, exported while it serves (docs/observability.md)."""
    metrics.start()
    tracing.start()
    try:
        yield
    finally:
        metrics.stop()
        await asyncio.to_thread(tracing.stop)


def create_app(
    database_url: str | None = None, *, pool_size: int = 10, admin_token: str | None = None
) -> FastAPI:
    """The API on the database at `database_url` (default: pydispatch.db.database_url()).
    `admin_token`: the secret that manages tenants over HTTP (none: tenants are managed
    with the CLI only)."""
    if admin_token is not None and len(admin_token) < MIN_ADMIN_TOKEN:
        raise ValueError(
            f"the admin token has {len(admin_token)} characters; it needs {MIN_ADMIN_TOKEN} or "
            "more (e.g. python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    tenants = TenantSettings()
    metrics = ApiTelemetry()
    tracing = Tracing("hewer-api")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = database_url or db.database_url()
        with psycopg.connect(url) as check:
            schema.check_schema(check)
        pool: AsyncConnectionPool[AsyncConnection[DictRow]] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            open=False,
            timeout=10.0,
            name="hewer-api",
            connection_class=AsyncConnection[DictRow],
            kwargs={"autocommit": True, "row_factory": dict_row, "application_name": "hewer-api"},
        )
        await pool.open(wait=True, timeout=30.0)
        changes = Changes(url)
        changes.start()
        app.state.pool = pool
        app.state.tenants = tenants
        app.state.changes = changes
        app.state.admin_token = admin_token
        app.state.tracing = tracing
        app.state.payloads = Payloads()
        try:
            async with _signals(metrics, tracing):
                yield
        finally:
            await changes.stop()
            await pool.close()

    app = FastAPI(
        title="Hewer",
        version="1",
        summary="Durable DAG workflows on PostgreSQL: runs, workflows and events over HTTP.",
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        responses={
            401: {"model": Problem, "description": "A missing, bad, revoked or expired token."},
            422: {"model": Problem, "description": "A field of the request is refused."},
        },
    )

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return problem_response(exc.problem)

    @app.exception_handler(psycopg.Error)
    async def _db_error(request: Request, exc: psycopg.Error) -> JSONResponse:
        return problem_response(database_problem(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            FieldError(field=".".join(str(p) for p in e["loc"]), message=e["msg"])
            for e in exc.errors()
        ]
        first = errors[0] if errors else FieldError(field="request", message="invalid")
        return problem_response(
            Problem(
                title="invalid_request",
                status=422,
                detail=f"{first.field}: {first.message}",
                errors=errors,
            )
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("the API failed on a request", extra={"path": request.url.path})
        problem = Problem(
            title="internal",
            status=500,
            detail="the API failed on this request; retry, and see the API's log if it goes on",
        )
        return problem_response(problem)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        problem = Problem(title="http_error", status=exc.status_code, detail=str(exc.detail))
        return problem_response(problem)

    for module in (health, runs, workflows, events, operators, stats):
        app.include_router(module.router)
    app.add_middleware(ApiMetricsMiddleware, telemetry=metrics)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        """The API's own request metrics in the Prometheus text format (docs/observability.md)."""
        return Response(metrics.render(), media_type=PROMETHEUS_CONTENT_TYPE)

    # The dashboard at / (docs/dashboard.md): last, so every API route matches first.
    web.mount(app)

    def contract() -> dict[str, Any]:
        # The Bearer scheme, for the whole API and optional (`{}`): the token is read from
        # the header by pydispatch.api.core.bearer, not declared on each operation, so the
        # generated clients take a client with or without a token.
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            document.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            document["security"] = [{}, {"token": []}]
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = contract  # type: ignore[method-assign]

    return app


def openapi_document(app: FastAPI | None = None) -> str:
    """The OpenAPI document, as committed in docs/openapi.json."""
    return json.dumps((app or create_app("postgresql://unused")).openapi(), indent=2) + "\n"
