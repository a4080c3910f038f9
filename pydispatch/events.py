"""The leader's event router and cron ticker (see docs/events.md).

Router: reads the pgmq queue hewer_events in batches (hewer.event_route_read), evaluates each
candidate filter with celpy (programs cached per filter version), records the matches and starts
their runs in one transaction (hewer.event_route_apply), then acks the messages
(hewer.event_ack). A router that dies between the two leaves the messages to reappear after the
visibility timeout; the match table's primary key then stops a second run.

The router also releases tasks in a durable event wait whose key and CEL condition (over the
event's payload and the run's input) the event satisfies (hewer.event_waits_read / _apply).

Ticker: fires due cron ticks (computed with croniter, UTC) through hewer.cron_fire, whose tick
table makes each tick fire once, starts due one-off runs with hewer.schedule_fire, and ends
durable waits whose sleep or timeout is over (hewer.waits_expire).

One bad item never stops the others: an event whose payload cannot be read or whose routing
raises, or a cron whose run cannot start, fails alone. It is recorded with hewer.item_failed,
retried with backoff (an event reappears after the visibility timeout, a cron is left out of
hewer.cron_due until its retry time) and, at its Retry.quarantine_after-th failure, quarantined:
the event's message is deleted, the cron left alone, until hewer.quarantine_release.
"""

from __future__ import annotations

import json
import logging
import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import psycopg
from croniter import croniter
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from pydispatch import celeval
from pydispatch.db import connection_lost
from pydispatch.payloads import MARKER, Payloads
from pydispatch.queries import QUERIES
from pyworker.cel import CelError, ProgramCache

log = logging.getLogger("hewer.events")

NO_FILTER: Final = "00000000-0000-0000-0000-000000000000"

#: Test hook: a router with this set to "1" exits right after it has committed a batch's runs
#: and before it acks the messages (tests/test_events.py kills it there on purpose).
CRASH_ENV: Final = "HEWER_ROUTER_CRASH_AFTER_TRIGGER"
CRASH_EXIT_CODE: Final = 86

# A queue message whose event row cannot be found is dropped after this many reads.
_MAX_READS: Final = 5

# Counting missed ticks stops here (a cron every second, down for a day, is 86,400).
_MAX_MISSED_COUNT: Final = 100_000


@dataclass(frozen=True)
class Retry:
    """How the leader retries an item of its work that failed, and when it gives up on it."""

    backoff: float = 5.0  # seconds before the first retry; doubled for each further failure
    quarantine_after: int = 5  # failures


async def item_failed(
    conn: AsyncConnection[DictRow],
    retry: Retry,
    kind: str,
    item_id: Any,
    tenant_id: Any,
    exc: BaseException,
    now: datetime | None = None,
) -> bool:
    """Record that an item failed; True when it is quarantined now. Over the tenant's trigger
    rate (HW094) is no failure: the item only waits."""
    deferred = isinstance(exc, psycopg.Error) and exc.sqlstate == "HW094"
    error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, psycopg.Error) else str(exc)
    cur = await conn.execute(
        QUERIES["item_failed"],
        {
            "kind": kind,
            "item_id": str(item_id),
            "tenant_id": tenant_id,
            "error": error[:2000],
            "max_failures": retry.quarantine_after,
            "backoff": timedelta(seconds=retry.backoff),
            "counts": not deferred,
            "retry_at": None,
            "now": now or datetime.now(UTC),
        },
    )
    row = await cur.fetchone()
    quarantined = bool(row and row["quarantined"])
    log.log(
        logging.ERROR if quarantined else logging.WARNING,
        f"{kind} quarantined" if quarantined else f"{kind} failed; retried later",
        extra={
            "kind": kind,
            "item_id": str(item_id),
            "failures": row["failures"] if row else None,
            "error": error[:500],
        },
    )
    return quarantined


def _orphans(rows: list[DictRow]) -> set[int]:
    """Messages whose event is not found: not acked, so retried after the visibility timeout,
    and dropped (with an error in the log) only after _MAX_READS reads."""
    orphans = {int(r["msg_id"]) for r in rows if r["event_id"] is None}
    for row in rows:
        if row["event_id"] is None and row["read_ct"] >= _MAX_READS:
            log.error(
                "dropping an event message whose event does not exist",
                extra={"msg_id": row["msg_id"], "reads": row["read_ct"]},
            )
            orphans.discard(int(row["msg_id"]))
    return orphans


def _json(text: str | None) -> Any:
    """A payload, decoded here rather than by the driver: one too deep to decode fails alone."""
    return None if text is None else json.loads(text)


@dataclass
class RouteStats:
    messages: int = 0
    runs: int = 0
    errors: int = 0
    released: int = 0  # waiting tasks whose event came


class Router:
    """One router pass at a time on the leader's connection."""

    def __init__(
        self,
        batch_size: int = 100,
        visibility_timeout: int = 30,
        retry: Retry | None = None,
        evaluator: celeval.Evaluator | None = None,
        payloads: Payloads | None = None,
    ) -> None:
        self.batch_size = batch_size
        # Offloaded payloads (docs/payloads.md): filters and wait conditions see the payload
        # itself, read from the store, never its reference. None: read none.
        self.payloads = payloads
        self.visibility_timeout = visibility_timeout
        self.retry = retry or Retry()
        self.programs = ProgramCache()  # compiled here only to report filters that do not compile
        self.evaluator = evaluator or celeval.shared()
        self.total = RouteStats()
        self.quarantined = 0  # events given up on (for tests and metrics)

    async def drain(self, conn: AsyncConnection[DictRow], max_batches: int = 50) -> RouteStats:
        """Route batches until the queue has none visible (or max_batches were routed)."""
        stats = RouteStats()
        for _ in range(max_batches):
            batch = await self.route_batch(conn)
            stats.messages += batch.messages
            stats.runs += batch.runs
            stats.errors += batch.errors
            stats.released += batch.released
            if batch.messages < self.batch_size:
                break
        return stats

    async def route_batch(self, conn: AsyncConnection[DictRow]) -> RouteStats:
        cur = await conn.execute(
            QUERIES["event_route_read"],
            {"qty": self.batch_size, "vt": self.visibility_timeout},
        )
        rows = await cur.fetchall()
        stats = RouteStats()
        if not rows:
            return stats
        orphans = _orphans(rows)
        stats.messages = len({int(r["msg_id"]) for r in rows})
        by_message: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_message[int(row["msg_id"])].append(dict(row))
        unreadable = await self._resolve_messages(conn, by_message)
        decisions, broken, failed = await self._decide_messages(by_message)
        failed.update(unreadable)
        for msg_id, (event_id, tenant_id, problem) in failed.items():
            if await item_failed(conn, self.retry, "event", event_id, tenant_id, problem):
                self.quarantined += 1
            else:
                orphans.add(msg_id)  # not acked: it reappears after the visibility timeout
        msg_ids = sorted(set(by_message) - orphans)
        retried = sorted(
            {str(r["event_id"]) for r in rows if r["read_ct"] > 1 and r["event_id"] is not None}
            - {str(v[0]) for v in failed.values()}
        )
        if retried:
            await conn.execute(QUERIES["item_succeeded"], {"kind": "event", "item_ids": retried})
        for filter_id, (version, error) in broken.items():
            await conn.execute(
                QUERIES["filter_error"],
                {"filter_id": filter_id, "version": version, "error": error},
            )
        if decisions:
            created, deferred = await self._apply(conn, decisions)
            stats.runs = created
            stats.errors = sum(1 for d in decisions if d[4] is not None)
            if deferred:  # over the tenant's trigger rate: not acked, routed again later
                held = {int(r["msg_id"]) for r in rows if r["event_id"] in deferred}
                msg_ids = [m for m in msg_ids if m not in held]
        event_ids = sorted(
            {r["event_id"] for r in rows if r["event_id"] is not None}
            - {v[0] for v in failed.values()}
        )
        tenants = {r["event_id"]: r["tenant_id"] for r in rows if r["event_id"] is not None}
        stats.released = await self._waits(conn, event_ids, tenants)
        if (decisions or stats.released) and os.environ.get(CRASH_ENV) == "1":
            log.error("crashing on purpose between trigger and ack", extra={"env": CRASH_ENV})
            os._exit(CRASH_EXIT_CODE)
        if msg_ids:
            await conn.execute(QUERIES["event_ack"], {"msg_ids": msg_ids})
        self.total.messages += stats.messages
        self.total.runs += stats.runs
        self.total.errors += stats.errors
        self.total.released += stats.released
        return stats

    async def _resolve_messages(
        self, conn: AsyncConnection[DictRow], by_message: dict[int, list[dict[str, Any]]]
    ) -> dict[int, tuple[Any, Any, BaseException]]:
        """Put each offloaded event payload in place of its reference, in every row of its
        message. A payload that cannot be read fails its event alone: the message is taken
        out of this batch and returned, to be retried (and quarantined after too many)."""
        failed: dict[int, tuple[Any, Any, BaseException]] = {}
        if self.payloads is None:
            return failed
        for msg_id, message_rows in list(by_message.items()):
            first = message_rows[0]
            text = first.get("payload_json")
            if first["event_id"] is None or not isinstance(text, str) or MARKER not in text:
                continue
            try:
                resolved = await self.payloads.resolve_text(conn, first["tenant_id"], text)
            except Exception as exc:  # noqa: BLE001 - any failure is this event's alone
                failed[msg_id] = (first["event_id"], first["tenant_id"], exc)
                del by_message[msg_id]
                continue
            for row in message_rows:
                row["payload_json"] = resolved
        return failed

    async def _decide_messages(
        self, by_message: dict[int, list[dict[str, Any]]]
    ) -> tuple[
        list[tuple[Any, Any, Any, int | None, str | None]],
        dict[str, tuple[int, str]],
        dict[int, tuple[Any, Any, BaseException]],
    ]:
        """Decisions for each message on its own: a payload too deep to decode fails that event
        alone (returned in the third item). Filters are evaluated in the CEL child process, each
        under its time budget; one over it does not match, and its filter shows the error."""
        decisions: list[tuple[Any, Any, Any, int | None, str | None]] = []
        broken: dict[str, tuple[int, str]] = {}
        failed: dict[int, tuple[Any, Any, BaseException]] = {}
        pending: list[tuple[tuple[Any, Any, Any], int]] = []
        items: list[celeval.Item] = []
        for msg_id, message_rows in by_message.items():
            first = message_rows[0]
            if first["event_id"] is None:
                continue
            try:
                payload, metadata = _json(first["payload_json"]), _json(first["metadata_json"])
            except Exception as exc:  # noqa: BLE001 - any failure is this event's alone
                failed[msg_id] = (first["event_id"], first["tenant_id"], exc)
                continue
            for row in message_rows:
                if row["workflow_id"] is None:
                    continue
                ids = (row["event_id"], row["workflow_id"], row["filter_id"])
                if row["expression"] is None:
                    decisions.append((*ids, None, None))
                    continue
                version = int(row["filter_version"])
                program = self.programs.get(str(row["filter_id"]), version, row["expression"])
                if isinstance(program, CelError):
                    if row["filter_error"] is None:
                        broken[str(row["filter_id"])] = (version, str(program))
                    decisions.append((*ids, version, f"filter does not compile: {program}"))
                    continue
                pending.append((ids, version))
                variables = {"key": row["key"], "payload": payload, "metadata": metadata}
                items.append((f"{row['filter_id']}:{version}", row["expression"], variables))
        results = await self.evaluator.evaluate(items)
        for (ids, version), result in zip(pending, results, strict=True):
            if result is True:
                decisions.append((*ids, version, None))
            elif isinstance(result, str):
                decisions.append((*ids, version, result))
                if celeval.OVER_BUDGET in result:
                    broken[str(ids[2])] = (version, result)
        return decisions, broken, failed

    async def _resolve_waits(
        self, conn: AsyncConnection[DictRow], rows: list[dict[str, Any]], tenants: Mapping[Any, Any]
    ) -> dict[int, str]:
        """Put offloaded event payloads and run inputs in place of their references in the
        rows of hewer.event_waits_read; a payload that cannot be read is its wait's error
        (returned by row index)."""
        unreadable: dict[int, str] = {}
        if self.payloads is None:
            return unreadable
        for i, row in enumerate(rows):
            tenant = tenants.get(row["event_id"])
            for field in ("payload_json", "input_json"):
                text = row.get(field)
                if tenant is None or not isinstance(text, str) or MARKER not in text:
                    continue
                try:
                    row[field] = await self.payloads.resolve_text(conn, tenant, text)
                except Exception as exc:  # noqa: BLE001 - recorded as this wait's error
                    unreadable[i] = f"{type(exc).__name__}: {exc}"
        return unreadable

    async def _waits(
        self,
        conn: AsyncConnection[DictRow],
        event_ids: list[Any],
        tenants: Mapping[Any, Any] | None = None,
    ) -> int:
        """Release the tasks whose durable event wait these events satisfy."""
        if not event_ids:
            return 0
        cur = await conn.execute(QUERIES["event_waits_read"], {"event_ids": event_ids})
        rows = [dict(r) for r in await cur.fetchall()]
        unreadable = await self._resolve_waits(conn, rows, tenants or {})
        # Evaluate every condition first, in the CEL child process (off the event loop, each
        # under its time budget); then decide in order: the first event that satisfies a wait.
        outcomes: dict[int, celeval.Result] = {}
        items: list[celeval.Item] = []
        where: list[int] = []
        for i, row in enumerate(rows):
            if row["expression"] is None:
                continue
            if i in unreadable:
                outcomes[i] = unreadable[i]
                continue
            program = self.programs.get(f"wait:{row['expression']}", 0, row["expression"])
            if isinstance(program, CelError):
                outcomes[i] = str(program)
                continue
            try:
                variables = {
                    "key": row["key"],
                    "payload": _json(row["payload_json"]),
                    "metadata": _json(row["metadata_json"]),
                    "input": _json(row["input_json"]),
                }
            except Exception as exc:  # noqa: BLE001 - recorded as this wait's error
                outcomes[i] = f"{type(exc).__name__}: {exc}"
                continue
            items.append((f"wait:{row['expression']}", row["expression"], variables))
            where.append(i)
        outcomes.update(zip(where, await self.evaluator.evaluate(items), strict=True))
        decided: dict[Any, tuple[Any, str | None]] = {}
        for i, row in enumerate(rows):
            if row["task_id"] in decided and decided[row["task_id"]][1] is None:
                continue  # an earlier event of the batch already satisfied it
            outcome = outcomes.get(i, True)
            if isinstance(outcome, str):
                decided.setdefault(row["task_id"], (row["event_id"], outcome))
            elif outcome:
                decided[row["task_id"]] = (row["event_id"], None)
        if not decided:
            return 0
        cur = await conn.execute(
            QUERIES["event_waits_apply"],
            {
                "task_ids": list(decided),
                "event_ids": [v[0] for v in decided.values()],
                "errors": [v[1] for v in decided.values()],
            },
        )
        result = await cur.fetchone()
        return int(result["released"]) if result else 0

    async def _apply(
        self,
        conn: AsyncConnection[DictRow],
        decisions: list[tuple[Any, Any, Any, int | None, str | None]],
    ) -> tuple[int, set[Any]]:
        """Record decisions (one transaction); a batch that fails is retried one by one, and a
        decision that still fails is recorded with the error, so no message is stuck. A run
        over its tenant's trigger rate (HW094) is not started now: its event is returned, to be
        routed again after the visibility timeout (the decisions already made are kept)."""
        try:
            return await self._apply_batch(conn, decisions), set()
        except psycopg.Error as exc:
            if connection_lost(exc):
                raise
            log.warning("event batch failed, routing one by one", extra={"error": str(exc)})
        created = 0
        deferred: set[Any] = set()
        for decision in decisions:
            try:
                created += await self._apply_batch(conn, [decision])
            except psycopg.Error as exc:
                if connection_lost(exc):
                    raise
                if exc.sqlstate == "HW094":
                    deferred.add(decision[0])
                    continue
                failed = (*decision[:4], f"starting the run failed: {exc}")
                await self._apply_batch(conn, [failed])
        return created, deferred

    @staticmethod
    async def _apply_batch(
        conn: AsyncConnection[DictRow],
        decisions: list[tuple[Any, Any, Any, int | None, str | None]],
    ) -> int:
        cur = await conn.execute(
            QUERIES["event_route_apply"],
            {
                "event_ids": [d[0] for d in decisions],
                "workflow_ids": [d[1] for d in decisions],
                "filter_ids": [d[2] for d in decisions],
                "filter_versions": [d[3] for d in decisions],
                "errors": [d[4] for d in decisions],
            },
        )
        rows = await cur.fetchall()
        return sum(1 for r in rows if r["created"] and r["run_id"] is not None)


@dataclass(frozen=True)
class TickPlan:
    """What to do with one cron now: the tick to record (if any), whether to start a run for
    it, how many earlier ticks were passed over, and the next tick."""

    tick_at: datetime | None
    fire: bool
    missed: int
    next_at: datetime


def plan_tick(
    expression: str,
    catch_up: str,
    next_at: datetime | None,
    created_at: datetime,
    now: datetime,
    grace: timedelta,
) -> TickPlan:
    """The catch-up policy. The due ticks are next_at .. the last tick at or before now:
    only the last one can fire. 'skip' fires it if it is at most `grace` late, 'once' fires it
    however late it is; either way the earlier ones are counted as missed. ValueError for an
    expression croniter cannot read."""
    if not croniter.is_valid(expression):
        raise ValueError(f"croniter cannot read the cron expression {expression!r}")
    first = next_at or croniter(expression, created_at).get_next(datetime)
    after_now = croniter(expression, now).get_next(datetime)
    if first > now:
        return TickPlan(None, False, 0, first)
    latest = croniter(expression, after_now).get_prev(datetime)
    missed = 0
    it = croniter(expression, first)
    tick = first
    while tick < latest and missed < _MAX_MISSED_COUNT:
        missed += 1
        tick = it.get_next(datetime)
    fire = catch_up == "once" or now - latest <= grace
    return TickPlan(latest, fire, missed, after_now)


class Ticker:
    """Cron ticks and one-off scheduled runs."""

    def __init__(self, grace: float = 60.0, retry: Retry | None = None) -> None:
        self.grace = timedelta(seconds=grace)
        self.retry = retry or Retry()
        self.fired = 0
        self.expired = 0  # durable waits ended by their deadline
        self.quarantined = 0  # crons given up on (for tests and metrics)

    async def tick(self, conn: AsyncConnection[DictRow], now: datetime | None = None) -> list[Any]:
        """One pass at `now` (default: the clock): returns the run ids started."""
        now = now or datetime.now(UTC)
        cur = await conn.execute(
            QUERIES["tick"],
            {
                "now": now,
                "max_failures": self.retry.quarantine_after,
                "backoff": timedelta(seconds=self.retry.backoff),
            },
        )
        row = await cur.fetchone()
        started: list[Any] = list(row["fired"]) if row else []
        self.expired += row["expired"] if row else 0
        due = []
        if row and row["crons_due"]:
            cur = await conn.execute(QUERIES["cron_due"], {"now": now})
            due = await cur.fetchall()
        for cron in due:
            try:
                plan = plan_tick(
                    cron["expression"],
                    cron["catch_up"],
                    cron["next_at"],
                    cron["created_at"],
                    now,
                    self.grace,
                )
            except (ValueError, KeyError) as exc:
                await conn.execute(
                    QUERIES["cron_fire"],
                    {
                        "cron_id": cron["cron_id"],
                        "tick_at": None,
                        "fire": False,
                        "missed": 0,
                        "next_at": None,
                        "error": str(exc),
                        "now": now,
                    },
                )
                continue
            try:
                cur = await conn.execute(
                    QUERIES["cron_fire"],
                    {
                        "cron_id": cron["cron_id"],
                        "tick_at": plan.tick_at,
                        "fire": plan.fire,
                        "missed": plan.missed,
                        "next_at": plan.next_at,
                        "error": None,
                        "now": now,
                    },
                )
            except psycopg.Error as exc:
                if connection_lost(exc):
                    raise
                # This cron alone: it waits out its backoff (hewer.cron_due leaves it out
                # meanwhile), and is quarantined if it keeps failing.
                if await item_failed(
                    conn, self.retry, "cron", cron["cron_id"], cron["tenant_id"], exc, now
                ):
                    self.quarantined += 1
                continue
            if cron["failing"]:
                await conn.execute(
                    QUERIES["item_succeeded"], {"kind": "cron", "item_ids": [str(cron["cron_id"])]}
                )
            row = await cur.fetchone()
            if row and row["fired"]:
                started.append(row["run_id"])
                log.info(
                    "cron fired",
                    extra={
                        "cron_id": str(cron["cron_id"]),
                        "tick_at": str(plan.tick_at),
                        "missed": plan.missed,
                    },
                )
        self.fired += len(started)
        return started
