"""The gRPC services: Dispatcher (Register, Listen, RegisterWorkflow) and Runs.

Thin: each call validates its request (pydispatch.validate), calls hewer functions
through the Dispatcher core, and maps database errors to status codes in one
place (pydispatch.status). Every call first resolves the API token of its metadata to a
tenant (hewer.token_tenant, on every call: a revoked token is refused at once) and acts for
that tenant. Listen hands the stream to the core once hello names a registered, live
worker of that tenant.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NoReturn

import grpc
import psycopg
from psycopg.rows import DictRow

from pydispatch import payloads, run_filters
from pydispatch import session as codes
from pydispatch.output import OutputFollower
from pydispatch.session import Session
from pydispatch.status import details, status_code
from pydispatch.tenancy import BadAuthorizationError, bearer_token, token_id
from pydispatch.validate import BadRequestError, check_json, parse_uuid, unix_ms
from pyworker.logs import set_log_context
from pyworker.proto import hewer_pb2 as pb
from pyworker.proto import hewer_pb2_grpc as pb_grpc
from pyworker.rpc import take_batch
from pyworker.tracing import TRACEPARENT, add_traceparent

if TYPE_CHECKING:
    from pydispatch.server import Dispatcher

log = logging.getLogger("hewer.dispatcher")

Ctx = grpc.aio.ServicerContext[Any, Any]

TERMINAL_RUN_STATUSES: Final = frozenset({"succeeded", "failed", "cancelled"})
# The kind of the RunEvent that ends a Watch stream (it carries run_status).
RUN_FINISHED: Final = "run_finished"
# Watch re-reads events this far behind the newest it has seen (see hewer.run_events).
WATCH_REREAD_MS: Final = 10_000
#: Output chunks read per call while following a run's output.
OUTPUT_PAGE: Final = 1000
#: A hello's list of held tasks is read up to this many (a worker has at most 1,000 slots).
MAX_HELD: Final = 10_000


def _uuid_floor_ms(ms: int) -> uuid.UUID:
    """The smallest UUIDv7 of a millisecond (hewer.uuid_floor)."""
    return uuid.UUID(int=max(ms, 0) << 80)


def _uuid_ms(value: uuid.UUID) -> int:
    return value.int >> 80


def _run_message(row: Mapping[str, Any]) -> pb.Run:
    return pb.Run(
        run_id=str(row["run_id"]),
        workflow=row["workflow"],
        version=row["version"],
        status=row["status"],
        input_json=row["input_json"] or "",
        output_json=row["output_json"] or "",
        error_json=row["error_json"] or "",
        tasks_json=row["tasks_json"] or "[]",
        created_at_unix_ms=unix_ms(row["created_at"]),
        finished_at_unix_ms=unix_ms(row["finished_at"]),
    )


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a call acts for: the tenant of its API token, and the token's id (None: none)."""

    tenant: uuid.UUID
    token_id: uuid.UUID | None


class _Service:
    def __init__(self, core: Dispatcher) -> None:
        self.core = core

    async def _begin(self, context: Ctx) -> Caller:
        """Refuse calls while shutting down; resolve the call's token to its tenant."""
        await self._open(context)
        try:
            token = bearer_token(context.invocation_metadata())
        except BadAuthorizationError as exc:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))
        [row] = await self._db(context, None, "token_tenant", {"token": token})
        return Caller(row["tenant"], token_id(token))

    async def _open(self, context: Ctx) -> None:
        if self.core.closing:
            await context.abort(
                grpc.StatusCode.UNAVAILABLE,
                "this dispatcher is shutting down: retry on another dispatcher",
            )

    async def _check_token(self, context: Ctx, caller: Caller) -> None:
        """End a long call (Wait, Watch) whose token was revoked meanwhile."""
        if caller.token_id is not None and caller.token_id in self.core.revoked_tokens:
            await context.abort(
                grpc.StatusCode.UNAUTHENTICATED,
                f"token revoked: the API token {caller.token_id} this call presented was "
                "revoked: call again with a valid token (HEWER_TOKEN)",
            )

    async def _db(
        self,
        context: Ctx,
        caller: Caller | None,
        name: str,
        params: Mapping[str, Any] | None = None,
    ) -> list[DictRow]:
        """A named query acting for the caller's tenant (None: a tenant-free query)."""
        try:
            return await self.core.fetch(
                name, params, tenant=None if caller is None else caller.tenant
            )
        except psycopg.Error as exc:
            code = status_code(exc)
            if code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNAVAILABLE):
                log.warning("database call failed", extra={"query": name, "error": str(exc)})
            await context.abort(code, details(exc))

    async def _bad(self, context: Ctx, exc: BadRequestError) -> NoReturn:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))

    async def _offload(self, context: Ctx, caller: Caller, kind: str, text: str) -> str:
        """A payload to store: a reference to it in the payload store when it is large."""
        try:
            return await self.core.offload(caller.tenant, kind, text)
        except Exception as exc:  # noqa: BLE001 - the store failed
            log.warning("payload store failed", extra={"kind": kind, "error": str(exc)})
            await context.abort(
                grpc.StatusCode.UNAVAILABLE,
                f"could not put the {kind} in the payload store {self.core.payloads.url}: "
                f"{str(exc) or type(exc).__name__}; retry",
            )

    async def _resolved(
        self, context: Ctx, caller: Caller, row: DictRow, columns: tuple[str, ...]
    ) -> DictRow:
        """The row with payload references in these JSON text columns replaced by payloads."""
        texts = [row[c] or "" for c in columns]
        if not any(payloads.MARKER in t for t in texts):
            return row
        try:
            resolved = await self.core.resolve(caller.tenant, texts)
        except payloads.PayloadError as exc:
            await context.abort(grpc.StatusCode.DATA_LOSS, str(exc))
        except Exception as exc:  # noqa: BLE001 - the store failed
            log.warning("payload store failed", extra={"error": str(exc)})
            await context.abort(
                grpc.StatusCode.UNAVAILABLE,
                f"could not read a payload from the payload store {self.core.payloads.url}: "
                f"{str(exc) or type(exc).__name__}; retry",
            )
        return {**row, **dict(zip(columns, resolved, strict=True))}


class DispatcherService(_Service, pb_grpc.DispatcherServicer):
    """Workers: Register, Listen; and RegisterWorkflow."""

    async def Register(  # noqa: N802 - gRPC method name
        self, request: pb.RegisterRequest, context: Ctx
    ) -> pb.RegisterResponse:
        caller = await self._begin(context)
        try:
            worker_id = (
                parse_uuid(request.worker_id, "RegisterRequest.worker_id")
                if request.worker_id
                else None
            )
        except BadRequestError as exc:
            await self._bad(context, exc)
        [row] = await self._db(
            context,
            caller,
            "worker_register",
            {
                "name": request.name,
                "actions": list(request.actions),
                "slots": request.slots,
                "labels": json.dumps(dict(request.labels)),
                "sdk_version": request.sdk_version or None,
                "worker_id": worker_id,
            },
        )
        log.info(
            "worker registered",
            extra={
                "worker_id": str(row["worker_id"]),
                "worker_name": request.name,
                "actions": list(request.actions),
                "slots": request.slots,
            },
        )
        return pb.RegisterResponse(
            worker_id=str(row["worker_id"]),
            heartbeat_interval_ms=math.ceil(self.core.settings.heartbeat_interval * 1000),
            dispatcher_id=self.core.settings.dispatcher_id,
            batches=True,
        )

    async def Listen(  # noqa: N802 - gRPC method name
        self, request_iterator: AsyncIterator[pb.WorkerMessage], context: Ctx
    ) -> None:
        caller = await self._begin(context)
        core = self.core
        requests = aiter(request_iterator)
        try:
            async with asyncio.timeout(core.settings.hello_timeout):
                first = await anext(requests)
        except StopAsyncIteration:
            return
        except TimeoutError:
            await _refuse(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                codes.INVALID_ARGUMENT,
                0,
                f"no hello within {core.settings.hello_timeout:g} s: the first message on a "
                "Listen stream must be hello with the worker_id from Register",
            )
        s = await self._hello(first, context, caller)
        # This stream's records (and its reader's and claim loop's, tasks started from here)
        # name its tenant and worker.
        set_log_context(tenant_id=str(caller.tenant), worker_id=str(s.worker_id))
        await self._open(context)  # it may have begun to shut down meanwhile
        core.attach(s)
        s.ack(first.request_id, True)
        s.reader = asyncio.create_task(core.read_stream(s, requests))
        try:
            carried: list[pb.DispatcherMessage | None] = []  # taken from the queue, not sent
            while True:
                message = carried.pop() if carried else await s.outbox.get()
                if message is None:
                    break
                if s.batches and not s.outbox.empty():
                    batch = take_batch(message, s.outbox, carried)
                    if len(batch) > 1:
                        message = pb.DispatcherMessage(batch=pb.DispatcherBatch(messages=batch))
                await context.write(message)
        finally:
            core.detach(s)
            s.reader.cancel()
        if s.end_status is not None:
            await context.abort(*s.end_status)

    async def _hello(self, first: pb.WorkerMessage, context: Ctx, caller: Caller) -> Session:
        rid = first.request_id
        body = first.WhichOneof("body")
        if body != "hello":
            await _refuse(
                context,
                grpc.StatusCode.INVALID_ARGUMENT,
                codes.INVALID_ARGUMENT,
                rid,
                f"the first message on a Listen stream must be hello, got "
                f"{body or 'an empty message'}: call Register, then send hello with the "
                "worker_id it returned",
            )
        try:
            worker_id = parse_uuid(first.hello.worker_id, "hello.worker_id")
        except BadRequestError as exc:
            await _refuse(
                context, grpc.StatusCode.INVALID_ARGUMENT, codes.INVALID_ARGUMENT, rid, str(exc)
            )
        rows = await self._db(context, caller, "worker_get", {"worker_ids": [worker_id]})
        if not rows:
            await _refuse(
                context,
                grpc.StatusCode.NOT_FOUND,
                codes.NOT_FOUND,
                rid,
                f"worker {worker_id} is not registered: call Register first, then say hello "
                "with the worker_id it returns",
            )
        row = rows[0]
        if row["status"] in ("dead", "stopped"):
            why = (
                f"was declared dead (no heartbeat for {self.core.settings.worker_timeout:g} s) "
                "and its tasks went to other workers"
                if row["status"] == "dead"
                else "was stopped (hewer.worker_stop)"
            )
            await _refuse(
                context,
                grpc.StatusCode.FAILED_PRECONDITION,
                codes.FAILED_PRECONDITION,
                rid,
                f"worker {worker_id} {why}: call Register with worker_id {worker_id} to make "
                "it active again, then Listen",
            )
        held = set(row["held_task_ids"] or ())
        if first.hello.reconcile:
            try:
                kept = {
                    parse_uuid(h.task_id, "hello.held.task_id") for h in first.hello.held[:MAX_HELD]
                }
            except BadRequestError as exc:
                await _refuse(
                    context, grpc.StatusCode.INVALID_ARGUMENT, codes.INVALID_ARGUMENT, rid, str(exc)
                )
            if held - kept:
                await self._release_lost(context, caller, worker_id, held - kept)
            held &= kept
        # A heartbeat now, not at the next round: it clears a disconnection another
        # dispatcher recorded when this worker's previous stream broke (hewer.reap's
        # disconnect_grace counts from that).
        await self._db(context, caller, "worker_heartbeat", {"worker_ids": [worker_id]})
        return Session(
            worker_id,
            row["actions"],
            row["slots"],
            held,
            tenant=caller.tenant,
            token_id=caller.token_id,
            batches=first.hello.batches,
        )

    async def _release_lost(
        self, context: Ctx, caller: Caller, worker_id: uuid.UUID, lost: set[uuid.UUID]
    ) -> None:
        """Fail (retryable) the attempts the database holds for this worker id but the worker
        says it has not: it restarted under the same id and lost them. They are retried at
        once instead of waiting for the reaper (which never comes while the id is live)."""
        rows = await self._db(
            context,
            caller,
            "worker_held_attempts",
            {"worker_id": worker_id, "task_ids": sorted(lost)},
        )
        if not rows:
            return
        error = json.dumps(
            {
                "type": "worker_restarted",
                "message": f"worker {worker_id} came back without this task (it restarted and "
                "lost it); the task is retried",
            }
        )
        answers = await self._db(
            context,
            caller,
            "task_fail",
            {
                "task_ids": [r["task_id"] for r in rows],
                "attempts": [r["attempt"] for r in rows],
                "errors": [error] * len(rows),
                "retryable": [True] * len(rows),
                "worker_ids": [worker_id] * len(rows),
            },
        )
        log.info(
            "released the tasks a restarted worker lost",
            extra={
                "worker_id": str(worker_id),
                "tasks": sum(1 for a in answers if a["accepted"]),
            },
        )

    async def RegisterWorkflow(  # noqa: N802 - gRPC method name
        self, request: pb.RegisterWorkflowRequest, context: Ctx
    ) -> pb.RegisterWorkflowResponse:
        caller = await self._begin(context)
        try:
            spec = check_json(
                request.spec_json,
                "spec_json",
                'send the workflow spec as a JSON object, e.g. {"steps": [{"name": "a"}]}',
            )
        except BadRequestError as exc:
            await self._bad(context, exc)
        [row] = await self._db(
            context, caller, "workflow_register", {"name": request.name, "spec": spec}
        )
        if row["created"]:
            log.info(
                "workflow registered",
                extra={"workflow": request.name, "version": row["version"]},
            )
        [current] = await self._db(context, caller, "workflow_current", {"name": request.name})
        return pb.RegisterWorkflowResponse(
            workflow_id=str(row["workflow_id"]),
            version_id=str(row["version_id"]),
            version=row["version"],
            created=row["created"],
            current_version=current["current_version"],
        )


class RunsService(_Service, pb_grpc.RunsServicer):
    """Clients: Trigger, Get, Wait, Watch, Cancel, List, CancelMatching, Replay; tasks: Spawn."""

    async def Trigger(  # noqa: N802 - gRPC method name
        self, request: pb.TriggerRequest, context: Ctx
    ) -> pb.TriggerResponse:
        caller = await self._begin(context)
        try:
            run_input = check_json(
                request.input_json or "{}",
                "input_json",
                'send the run input as a JSON object, e.g. {"value": 1}',
            )
        except BadRequestError as exc:
            await self._bad(context, exc)
        run_input = await self._offload(context, caller, "input", run_input)
        metadata = await self._metadata(context, request.metadata_json)
        carrier = {
            k: v
            for k, v in context.invocation_metadata() or ()
            if k == TRACEPARENT and isinstance(v, str)
        }
        with self.core.tracing.trigger(request.workflow, carrier, caller.tenant) as traceparent:
            [row] = await self._db(
                context,
                caller,
                "run_trigger",
                {
                    "workflow": request.workflow,
                    "input": run_input,
                    "priority": request.priority if request.HasField("priority") else None,
                    "idempotency_key": request.idempotency_key or None,
                    "metadata": add_traceparent(metadata or "", traceparent) or None,
                },
            )
        return pb.TriggerResponse(run_id=str(row["run_id"]), created=row["created"])

    async def _metadata(self, context: Ctx, text: str) -> str | None:
        """metadata_json checked as JSON ("" = none); the database checks it is tags."""
        if not text:
            return None
        try:
            return check_json(
                text, "metadata_json", 'send tags as a JSON object, e.g. {"customer": "acme"}'
            )
        except BadRequestError as exc:
            await self._bad(context, exc)

    async def Spawn(  # noqa: N802 - gRPC method name
        self, request: pb.SpawnRequest, context: Ctx
    ) -> pb.SpawnResponse:
        """A task starts a child run (hewer.run_spawn), fenced by its (task_id, attempt)."""
        caller = await self._begin(context)
        try:
            task_id = parse_uuid(request.task_id, "task_id")
            child_input = check_json(
                request.input_json or "{}",
                "input_json",
                'send the child input as a JSON object, e.g. {"value": 1}',
            )
        except BadRequestError as exc:
            await self._bad(context, exc)
        child_input = await self._offload(context, caller, "input", child_input)
        [row] = await self._db(
            context,
            caller,
            "run_spawn",
            {
                "task_id": task_id,
                "attempt": request.attempt,
                "workflow": request.workflow,
                "input": child_input,
                "key": request.key or None,
                "metadata": await self._metadata(context, request.metadata_json),
            },
        )
        return pb.SpawnResponse(run_id=str(row["run_id"]), created=row["created"])

    async def _run_id(self, context: Ctx, value: str) -> uuid.UUID:
        try:
            return parse_uuid(value, "run_id")
        except BadRequestError as exc:
            await self._bad(context, exc)

    async def _get(self, context: Ctx, caller: Caller, run_id: uuid.UUID) -> DictRow:
        rows = await self._db(context, caller, "run_get", {"run_id": run_id})
        if not rows:
            await context.abort(
                grpc.StatusCode.NOT_FOUND,
                f"run {run_id} does not exist (runs are visible only to their tenant)",
            )
        return rows[0]

    async def Get(self, request: pb.GetRunRequest, context: Ctx) -> pb.Run:  # noqa: N802
        caller = await self._begin(context)
        run_id = await self._run_id(context, request.run_id)
        return await self._run(context, caller, await self._get(context, caller, run_id))

    async def _run(self, context: Ctx, caller: Caller, row: DictRow) -> pb.Run:
        """A run as sent: its input, output and tasks' outputs resolved."""
        row = await self._resolved(
            context, caller, row, ("input_json", "output_json", "tasks_json")
        )
        return _run_message(row)

    async def Wait(self, request: pb.WaitRequest, context: Ctx) -> pb.Run:  # noqa: N802
        caller = await self._begin(context)
        core = self.core
        run_id = await self._run_id(context, request.run_id)
        if request.timeout_ms < 0:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"timeout_ms must be 0 (wait until the call's deadline) or positive, "
                f"got {request.timeout_ms}",
            )
        start = time.monotonic()
        deadline: float | None = start + request.timeout_ms / 1000 if request.timeout_ms else None
        remaining = context.time_remaining()
        if remaining is not None:
            # Answer a little before the call's own deadline so the answer arrives.
            call_end = start + remaining - min(0.2, remaining * 0.1)
            deadline = call_end if deadline is None else min(deadline, call_end)
        with core.run_waiter(run_id) as event, core.token_in_use(caller.token_id):
            while True:
                event.clear()
                row = await self._get(context, caller, run_id)
                if row["status"] in TERMINAL_RUN_STATUSES:
                    return await self._run(context, caller, row)
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    return await self._run(context, caller, row)
                pause = core.settings.poll_interval
                if deadline is not None:
                    pause = min(pause, deadline - now)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(pause):
                        await event.wait()
                await self._open(context)
                await self._check_token(context, caller)

    async def Watch(  # noqa: N802 - gRPC method name
        self, request: pb.WatchRequest, context: Ctx
    ) -> AsyncIterator[pb.RunEvent]:
        caller = await self._begin(context)
        core = self.core
        run_id = await self._run_id(context, request.run_id)
        seen: set[uuid.UUID] = set()
        newest_ms: int | None = None
        pause = min(core.settings.poll_interval, 0.25)
        with core.run_waiter(run_id) as event, core.token_in_use(caller.token_id):
            while True:
                event.clear()
                run = await self._get(context, caller, run_id)
                after = None if newest_ms is None else _uuid_floor_ms(newest_ms - WATCH_REREAD_MS)
                rows = await self._db(
                    context, caller, "run_events", {"run_id": run_id, "after": after}
                )
                for row in rows:
                    event_id: uuid.UUID = row["event_id"]
                    if event_id in seen:
                        continue
                    seen.add(event_id)
                    newest_ms = max(newest_ms or 0, _uuid_ms(event_id))
                    yield pb.RunEvent(
                        run_id=str(run_id),
                        task_id=str(row["task_id"]),
                        step=row["step"],
                        attempt=row["attempt"],
                        kind=row["kind"],
                        status=row["status"],
                        data_json=row["data_json"] or "",
                        at_unix_ms=unix_ms(row["created_at"]),
                    )
                if run["status"] in TERMINAL_RUN_STATUSES:
                    yield pb.RunEvent(
                        run_id=str(run_id),
                        kind=RUN_FINISHED,
                        status=run["status"],
                        data_json=run["error_json"] or "",
                        at_unix_ms=unix_ms(run["finished_at"]),
                        run_status=run["status"],
                    )
                    return
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(pause):
                        await event.wait()
                await self._open(context)
                await self._check_token(context, caller)

    async def Output(  # noqa: N802 - gRPC method name
        self, request: pb.OutputRequest, context: Ctx
    ) -> AsyncIterator[pb.OutputChunk]:
        """The run's output chunks: those already written, then each new one (woken by
        hewer_output), until the run is terminal and its last chunks are sent."""
        caller = await self._begin(context)
        core = self.core
        run_id = await self._run_id(context, request.run_id)
        task_id = await self._run_id(context, request.task_id) if request.task_id else None
        after = (
            await self._run_id(context, request.after_chunk_id) if request.after_chunk_id else None
        )
        follower = OutputFollower(after)
        pause = min(core.settings.poll_interval, 0.25)
        with core.run_waiter(run_id) as event, core.token_in_use(caller.token_id):
            while True:
                event.clear()
                # The status first: chunks are committed before the completion that ends
                # the run, so once it is terminal, the read below has them all.
                run = await self._get(context, caller, run_id)
                # From a window behind the newest chunk sent, then page by page: a full page
                # of chunks already sent must not be read again and again.
                after = follower.cursor()
                while True:
                    rows = await self._db(
                        context,
                        caller,
                        "run_output",
                        {
                            "run_id": run_id,
                            "after": after,
                            "task_id": task_id,
                            "limit": OUTPUT_PAGE,
                        },
                    )
                    for row in follower.new(rows):
                        yield pb.OutputChunk(
                            chunk_id=str(row["chunk_id"]),
                            task_id=str(row["task_id"]),
                            step=row["step"],
                            attempt=row["attempt"],
                            seq=row["seq"],
                            data=row["chunk"],
                            at_unix_ms=unix_ms(row["written_at"]),
                        )
                    if len(rows) < OUTPUT_PAGE:
                        break
                    after = rows[-1]["chunk_id"]
                if run["status"] in TERMINAL_RUN_STATUSES:
                    return
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(pause):
                        await event.wait()
                await self._open(context)
                await self._check_token(context, caller)

    async def Cancel(  # noqa: N802 - gRPC method name
        self, request: pb.CancelRequest, context: Ctx
    ) -> pb.CancelResponse:
        caller = await self._begin(context)
        run_id = await self._run_id(context, request.run_id)
        [row] = await self._db(context, caller, "run_cancel", {"run_id": run_id})
        if row["cancelled"]:
            log.info("run cancelled", extra={"run_id": str(run_id)})
        return pb.CancelResponse(
            run_id=str(row["run_id"]), cancelled=row["cancelled"], status=row["status"]
        )

    async def List(  # noqa: N802 - gRPC method name
        self, request: pb.ListRunsRequest, context: Ctx
    ) -> pb.ListRunsResponse:
        caller = await self._begin(context)
        try:
            params = run_filters.list_params(request)
        except BadRequestError as exc:
            await self._bad(context, exc)
        rows = await self._db(context, caller, "run_list", params)
        rows = [await self._resolved(context, caller, r, ("input_json",)) for r in rows]
        return pb.ListRunsResponse(runs=[run_filters.summary_message(r) for r in rows])

    async def CancelMatching(  # noqa: N802 - gRPC method name
        self, request: pb.CancelMatchingRequest, context: Ctx
    ) -> pb.CancelMatchingResponse:
        caller = await self._begin(context)
        try:
            params = run_filters.filter_params(request.filter)
        except BadRequestError as exc:
            await self._bad(context, exc)
        rows = await self._db(context, caller, "run_cancel_matching", params)
        log.info("runs cancelled by filter", extra={"runs": sum(r["cancelled"] for r in rows)})
        return pb.CancelMatchingResponse(
            runs=[
                pb.CancelResponse(
                    run_id=str(r["run_id"]), cancelled=r["cancelled"], status=r["status"]
                )
                for r in rows
            ]
        )

    async def Replay(  # noqa: N802 - gRPC method name
        self, request: pb.ReplayRequest, context: Ctx
    ) -> pb.ReplayResponse:
        caller = await self._begin(context)
        try:
            params = run_filters.replay_params(request)
        except BadRequestError as exc:
            await self._bad(context, exc)
        [row] = await self._db(context, caller, "run_replay", params)
        log.info(
            "run replayed",
            extra={"run_id": str(row["run_id"]), "replay_run_id": str(row["replay_run_id"])},
        )
        return pb.ReplayResponse(
            run_id=str(row["run_id"]),
            replay_run_id=str(row["replay_run_id"]),
            kept=row["kept"],
            to_run=row["to_run"],
        )


async def _refuse(
    context: Ctx, code: grpc.StatusCode, stream_code: str, request_id: int, message: str
) -> NoReturn:
    """End a Listen stream before it became a session: a StreamError, then the status."""
    with contextlib.suppress(Exception):
        await context.write(
            pb.DispatcherMessage(
                error=pb.StreamError(request_id=request_id, code=stream_code, message=message)
            )
        )
    await context.abort(code, message)
