"""The HTTP API: runs, workflows and events over JSON, for any language with an HTTP client.

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
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import psycopg
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel, ConfigDict, Field, JsonValue
from starlette.exceptions import HTTPException as StarletteHTTPException

from pydispatch import db, schema
from pydispatch.error_codes import CODES
from pydispatch.tenancy import TenantSettings
from pyworker.sqlfile import load

QUERIES: Final = load(Path(__file__).with_name("queries.sql"))

PROBLEM: Final = "application/problem+json"
# A run's event stream polls this often, and re-reads this far behind the newest event it
# sent (an event committed late can sort before one already read; see hewer.run_events).
STREAM_POLL: Final = 0.5
STREAM_REREAD_MS: Final = 10_000
TERMINAL: Final = frozenset({"succeeded", "failed", "cancelled"})
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

RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
TaskStatus = Literal[
    "pending", "waiting", "queued", "assigned", "running", "succeeded", "failed", "cancelled"
]
MetadataValue = str | int | float | bool


# --- models ----------------------------------------------------------------------------


class Problem(BaseModel):
    """An error (RFC 9457): what went wrong, Hewer's code for it, and how to fix it."""

    type: str = "about:blank"
    title: str = Field(description="The error's name, e.g. unknown_workflow.")
    status: int
    detail: str = Field(description="What went wrong, naming the thing concerned.")
    code: str | None = Field(default=None, description="Hewer's SQLSTATE, e.g. HW003.")
    hint: str | None = Field(default=None, description="How to fix it.")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="For invalid requests: each field refused, and why."
    )


class TriggerRequest(BaseModel):
    """A run to start."""

    model_config = ConfigDict(extra="forbid")
    workflow: str = Field(min_length=1, max_length=255, description="The workflow's name.")
    input: JsonValue = Field(default_factory=dict, description="The run's input.")
    priority: int | None = Field(
        default=None, ge=-1000, le=1000, description="Higher runs first; default: each step's own."
    )
    idempotency_key: str | None = Field(
        default=None, min_length=1, max_length=255, description="The same key gives the same run."
    )
    metadata: dict[str, MetadataValue] = Field(
        default_factory=dict, description="Key/value tags, inherited by child runs."
    )


class Triggered(BaseModel):
    run_id: uuid.UUID
    created: bool = Field(description="False when the idempotency key gave an existing run.")


class Task(BaseModel):
    task_id: uuid.UUID
    step: str
    action: str
    status: TaskStatus
    attempt: int
    max_attempts: int
    output: JsonValue = None
    error: JsonValue = None
    worker_id: uuid.UUID | None = None
    queued_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cancel_requested: bool = False
    served: bool | None = Field(
        default=None,
        description="A queued task: whether a live worker serves its action (false: it waits "
        "for one that may never come).",
    )


class Run(BaseModel):
    run_id: uuid.UUID
    workflow: str
    version: int
    status: RunStatus
    input: JsonValue
    output: JsonValue = None
    error: JsonValue = None
    priority: int
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    tasks: list[Task]


class RunSummary(BaseModel):
    run_id: uuid.UUID
    workflow: str
    version: int
    status: RunStatus
    priority: int
    input: JsonValue
    error: JsonValue = None
    replay_of: uuid.UUID | None = None
    tasks: dict[str, int] = Field(description="The run's tasks, counted by status.")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    metadata: dict[str, MetadataValue]


class RunPage(BaseModel):
    runs: list[RunSummary]
    next_before: uuid.UUID | None = Field(
        default=None, description="Pass as `before` for the next (older) page; null on the last."
    )


class Cancelled(BaseModel):
    run_id: uuid.UUID
    cancelled: bool = Field(description="False when the run had already finished.")
    status: RunStatus


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start_from: Literal["failed", "start"] = Field(
        default="failed",
        description="failed: keep the steps that succeeded; start: run every step.",
    )


class Replayed(BaseModel):
    run_id: uuid.UUID
    replay_run_id: uuid.UUID
    kept: int = Field(description="Steps kept from the original, with their outputs.")
    to_run: int


class LogLine(BaseModel):
    log_id: uuid.UUID
    task_id: uuid.UUID
    step: str
    attempt: int
    level: Literal["debug", "info", "warning", "error", "critical"]
    message: str
    logged_at: datetime = Field(description="The worker's time of the line.")
    written_at: datetime = Field(description="The server's time of writing.")


class LogPage(BaseModel):
    lines: list[LogLine]
    next_after: uuid.UUID | None = Field(
        default=None, description="Pass as `after` for the lines written since; null when none."
    )


class RunEvent(BaseModel):
    event_id: uuid.UUID
    task_id: uuid.UUID
    step: str
    attempt: int
    kind: str
    status: TaskStatus
    data: JsonValue = None
    created_at: datetime


class WorkflowSummary(BaseModel):
    name: str
    current_version: int
    latest_version: int
    versions: int
    description: str | None = None
    created_at: datetime


class WorkflowVersion(BaseModel):
    name: str
    version: int
    version_id: uuid.UUID
    is_current: bool
    current_version: int
    checksum: str
    spec: dict[str, JsonValue]
    created_at: datetime


class EventRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=255, description="e.g. order.created")
    payload: dict[str, JsonValue] = Field(default_factory=dict)
    metadata: dict[str, JsonValue] = Field(default_factory=dict)
    scope: str | None = Field(default=None, min_length=1, max_length=255)


class EventPushed(BaseModel):
    event_id: uuid.UUID


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    schema_version: int


# --- the application ---------------------------------------------------------------------


class ApiError(Exception):
    """A refusal the API itself decides (not the database's)."""

    def __init__(self, status: int, title: str, detail: str, hint: str | None = None) -> None:
        super().__init__(detail)
        self.problem = Problem(title=title, status=status, detail=detail, hint=hint)


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


def _problem(problem: Problem) -> JSONResponse:
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


async def caller(
    request: Request,
    authorization: Annotated[str | None, Header(description="Bearer <API token>")] = None,
) -> AsyncIterator[Caller]:
    """The request's tenant (from its token) on a connection of the pool, for the request."""
    token = bearer(authorization)
    pool: AsyncConnectionPool[AsyncConnection[DictRow]] = request.app.state.pool
    async with pool.connection() as conn:
        cur = await conn.execute(QUERIES["token_tenant"], {"token": token})
        row = await cur.fetchone()
        if row is None:
            raise RuntimeError("hewer.token_tenant returned no row")
        tenant: uuid.UUID = row["tenant"]
        await request.app.state.tenants.use(conn, tenant)
        yield Caller(conn, tenant)


Who = Annotated[Caller, Depends(caller)]


async def as_tenant(
    request: Request, token: str, name: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """One query for the token's tenant on a connection held just for it (for streams,
    which must not hold a connection between polls); the token is checked again."""
    pool: AsyncConnectionPool[AsyncConnection[DictRow]] = request.app.state.pool
    async with pool.connection() as conn:
        cur = await conn.execute(QUERIES["token_tenant"], {"token": token})
        row = await cur.fetchone()
        if row is None:
            raise RuntimeError("hewer.token_tenant returned no row")
        await request.app.state.tenants.use(conn, row["tenant"])
        cur = await conn.execute(QUERIES[name], params)
        return await cur.fetchall()


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} does not exist (it is visible only to its tenant)")


router = APIRouter()


# --- health ---------------------------------------------------------------------------


@router.get("/healthz", tags=["health"])
async def healthz() -> Health:
    """The API process answers."""
    return Health(status="ok")


@router.get("/readyz", tags=["health"], responses={503: {"model": Problem}})
async def readyz(request: Request) -> Ready:
    """The API can reach its database."""
    async with request.app.state.pool.connection() as conn:
        cur = await conn.execute(QUERIES["schema_version"])
        row = await cur.fetchone()
    if row is None:
        raise RuntimeError("hewer.meta has no row")
    return Ready(status="ready", schema_version=row["schema_version"])


# --- runs -----------------------------------------------------------------------------


@router.post("/v1/runs", tags=["runs"], status_code=201, responses={404: {"model": Problem}})
async def trigger_run(body: TriggerRequest, who: Who) -> Triggered:
    """Start a run of a workflow (the current version)."""
    row = await who.one(
        "run_trigger",
        {
            "workflow": body.workflow,
            "input": Jsonb(body.input),
            "priority": body.priority,
            "idempotency_key": body.idempotency_key,
            "metadata": Jsonb(body.metadata),
        },
    )
    return Triggered(run_id=row["run_id"], created=row["created"])


@router.get("/v1/runs", tags=["runs"])
async def list_runs(
    who: Who,
    workflow: str | None = None,
    status: Annotated[list[RunStatus] | None, Query()] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    replay_of: uuid.UUID | None = None,
    metadata: Annotated[
        str | None, Query(description='Tags the runs carry, as a JSON object: {"k": "v"}')
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[
        uuid.UUID | None, Query(description="A run id: the runs older than it.")
    ] = None,
) -> RunPage:
    """Runs matching every filter given, newest first, a page at a time."""
    tags: Any = None
    if metadata is not None:
        try:
            tags = json.loads(metadata)
        except ValueError:
            raise ApiError(
                422,
                "invalid_request",
                f"metadata: not JSON: {metadata!r}",
                'Pass a JSON object of tags, e.g. {"customer": "acme"}.',
            ) from None
    rows = await who.rows(
        "run_list",
        {
            "workflow": workflow,
            "statuses": status,
            "since": since,
            "until": until,
            "input": None,
            "replay_of": replay_of,
            "limit": limit,
            "before": before,
            "metadata": None if tags is None else Jsonb(tags),
        },
    )
    runs = [RunSummary.model_validate(r) for r in rows]
    return RunPage(runs=runs, next_before=runs[-1].run_id if len(runs) == limit else None)


@router.get("/v1/runs/{run_id}", tags=["runs"], responses={404: {"model": Problem}})
async def get_run(run_id: uuid.UUID, who: Who) -> Run:
    """A run: input, output, error, and each task with its attempt, output and error."""
    row = await who.row("run_get", {"run_id": run_id})
    if row is None:
        raise not_found(f"run {run_id}")
    return Run.model_validate(row)


@router.post("/v1/runs/{run_id}/cancel", tags=["runs"], responses={404: {"model": Problem}})
async def cancel_run(run_id: uuid.UUID, who: Who) -> Cancelled:
    """Cancel a run: its waiting tasks at once, its running ones on their workers."""
    row = await who.row("run_cancel", {"run_id": run_id})
    if row is None or row["status"] is None:
        raise not_found(f"run {run_id}")
    return Cancelled.model_validate(row)


@router.post(
    "/v1/runs/{run_id}/replay",
    tags=["runs"],
    status_code=201,
    responses={404: {"model": Problem}, 409: {"model": Problem}},
)
async def replay_run(run_id: uuid.UUID, who: Who, body: ReplayRequest | None = None) -> Replayed:
    """Run a failed or cancelled run again, as a new run on the same version."""
    start_from = (body or ReplayRequest()).start_from
    row = await who.one("run_replay", {"run_id": run_id, "start_from": start_from})
    return Replayed.model_validate(row)


@router.get("/v1/runs/{run_id}/logs", tags=["runs"], responses={404: {"model": Problem}})
async def run_logs(
    run_id: uuid.UUID,
    who: Who,
    after: Annotated[
        uuid.UUID | None, Query(description="A log_id: the lines written after it.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> LogPage:
    """What the run's tasks logged, oldest first."""
    if await who.row("run_get", {"run_id": run_id}) is None:
        raise not_found(f"run {run_id}")
    rows = await who.rows("run_logs", {"run_id": run_id, "after": after, "limit": limit})
    lines = [LogLine.model_validate(r) for r in rows]
    return LogPage(lines=lines, next_after=lines[-1].log_id if lines else after)


@router.get("/v1/runs/{run_id}/events", tags=["runs"], responses={404: {"model": Problem}})
async def run_events(
    run_id: uuid.UUID,
    who: Who,
    after: Annotated[
        uuid.UUID | None, Query(description="An event_id: the events after it.")
    ] = None,
) -> list[RunEvent]:
    """The run's task events (its history), oldest first."""
    if await who.row("run_get", {"run_id": run_id}) is None:
        raise not_found(f"run {run_id}")
    rows = await who.rows("run_events", {"run_id": run_id, "after": after})
    return [RunEvent.model_validate(r) for r in rows]


@router.get(
    "/v1/runs/{run_id}/stream",
    tags=["runs"],
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "Server-sent events: each task event as `event: task` with the "
            "RunEvent as data and its event_id as id, then `event: run` with the Run once "
            "it has finished, and the stream ends.",
        },
        404: {"model": Problem},
    },
)
async def stream_run(
    request: Request,
    run_id: uuid.UUID,
    authorization: Annotated[str | None, Header(description="Bearer <API token>")] = None,
    last_event_id: Annotated[
        uuid.UUID | None,
        Header(description="The id of the last event received: resume after it."),
    ] = None,
) -> StreamingResponse:
    """A run's task events live (server-sent events), then the finished run. A client
    that reconnects with Last-Event-ID gets what it missed."""
    token = bearer(authorization)
    if not await as_tenant(request, token, "run_get", {"run_id": run_id}):
        raise not_found(f"run {run_id}")

    async def events() -> AsyncIterator[str]:
        seen: set[uuid.UUID] = set()
        after = last_event_id
        while True:
            try:
                [run] = await as_tenant(request, token, "run_get", {"run_id": run_id})
                rows = await as_tenant(
                    request, token, "run_events", {"run_id": run_id, "after": after}
                )
            except psycopg.Error as exc:
                # Say why the stream ends (a token revoked meanwhile, the database gone).
                problem = database_problem(exc).model_dump_json(exclude_none=True)
                yield f"event: error\ndata: {problem}\n\n"
                return
            for row in rows:
                event = RunEvent.model_validate(row)
                if event.event_id in seen:
                    continue
                seen.add(event.event_id)
                yield f"id: {event.event_id}\nevent: task\ndata: {event.model_dump_json()}\n\n"
            if rows:
                newest = max(r["event_id"] for r in rows)
                ms = (newest.int >> 80) - STREAM_REREAD_MS
                after = max(uuid.UUID(int=max(ms, 0) << 80), last_event_id or uuid.UUID(int=0))
            if run["status"] in TERMINAL:
                yield f"event: run\ndata: {Run.model_validate(run).model_dump_json()}\n\n"
                return
            await asyncio.sleep(STREAM_POLL)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# --- workflows ------------------------------------------------------------------------


@router.get("/v1/workflows", tags=["workflows"])
async def list_workflows(who: Who) -> list[WorkflowSummary]:
    """The workflows, with their current and latest versions."""
    return [WorkflowSummary.model_validate(r) for r in await who.rows("workflow_list", {})]


@router.get("/v1/workflows/{name}", tags=["workflows"], responses={404: {"model": Problem}})
async def get_workflow(
    name: str,
    who: Who,
    version: Annotated[int | None, Query(ge=1, description="Default: the current one.")] = None,
) -> WorkflowVersion:
    """A version of a workflow (the current one by default), with its spec."""
    row = await who.one("workflow_get", {"name": name, "version": version})
    return WorkflowVersion.model_validate(row)


# --- events ---------------------------------------------------------------------------


@router.post("/v1/events", tags=["events"], status_code=201)
async def push_event(body: EventRequest, who: Who) -> EventPushed:
    """Publish an event: the workflows subscribed to its key start runs, as filters say."""
    row = await who.one(
        "push_event",
        {
            "key": body.key,
            "payload": Jsonb(body.payload),
            "metadata": Jsonb(body.metadata),
            "scope": body.scope,
        },
    )
    return EventPushed(event_id=row["event_id"])


def create_app(database_url: str | None = None, *, pool_size: int = 10) -> FastAPI:
    """The API on the database at `database_url` (default: pydispatch.db.database_url())."""
    tenants = TenantSettings()

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
        app.state.pool = pool
        app.state.tenants = tenants
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(
        title="Hewer",
        version="1",
        summary="Durable DAG workflows on PostgreSQL: runs, workflows and events over HTTP.",
        lifespan=lifespan,
        responses={
            401: {"model": Problem, "description": "A missing, bad, revoked or expired token."},
            422: {"model": Problem, "description": "A field of the request is refused."},
        },
    )

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _problem(exc.problem)

    @app.exception_handler(psycopg.Error)
    async def _db_error(request: Request, exc: psycopg.Error) -> JSONResponse:
        return _problem(database_problem(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "request", "message": "invalid"}
        return _problem(
            Problem(
                title="invalid_request",
                status=422,
                detail=f"{first['field']}: {first['message']}",
                errors=errors,
            )
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _problem(Problem(title="http_error", status=exc.status_code, detail=str(exc.detail)))

    app.include_router(router)

    return app


def openapi_document(app: FastAPI | None = None) -> str:
    """The OpenAPI document, as committed in docs/openapi.json."""
    return json.dumps((app or create_app("postgresql://unused")).openapi(), indent=2) + "\n"
