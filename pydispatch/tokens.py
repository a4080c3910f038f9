"""API tokens in use on one dispatcher, and what happens when one stops being valid.

Streams and long calls (Wait, Watch) keep the token they were opened with. On a
hewer_tokens hint (coalesced, at most one check a second) and on every database heartbeat,
the database says which of the tokens in use are still valid; what uses the others ends
UNAUTHENTICATED. A notification alone ends nothing.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

import grpc
import psycopg
from psycopg import AsyncConnection
from psycopg.rows import DictRow

from pydispatch import session as codes
from pydispatch.queries import QUERIES
from pydispatch.session import Session
from pydispatch.tenancy import DEFAULT_TENANT

if TYPE_CHECKING:
    from pydispatch.server import Dispatcher

log = logging.getLogger("hewer.dispatcher")

# Token checks on hewer_tokens hints: at most one per this many seconds.
CHECK_GAP: Final = 1.0
# Confirmed-revoked token ids kept before those no longer in use are forgotten.
MAX_REVOKED: Final = 10000


class Tokens:
    """The tokens in use on one dispatcher."""

    def __init__(self, core: Dispatcher) -> None:
        self.core = core
        # Tokens seen revoked (or expired) while this dispatcher runs: Wait and Watch calls
        # opened with one end at their next wake-up.
        self.revoked: set[uuid.UUID] = set()
        # Tokens of the Wait and Watch calls in progress (their counts), checked with the streams'.
        self.in_use: collections.Counter[uuid.UUID] = collections.Counter()
        self._check = asyncio.Event()

    def check_soon(self) -> None:
        """A hewer_tokens hint: check the tokens in use (coalesced)."""
        self._check.set()

    async def run(self) -> None:
        """On a hewer_tokens hint (coalesced), ask the database which tokens in use here are
        still valid, and end what uses the others. A notification alone ends nothing."""
        core = self.core
        while True:
            await self._check.wait()
            self._check.clear()
            sessions = core.streams.sessions.values()
            in_use = {s.token_id for s in sessions if s.token_id is not None}
            in_use |= set(self.in_use)
            if in_use:
                try:
                    # Tokens of every tenant: hewer.tokens_valid answers for them all.
                    rows = await core.fetch(
                        "tokens_valid", {"token_ids": list(in_use)}, tenant=DEFAULT_TENANT
                    )
                except psycopg.Error as exc:
                    log.warning("token check failed", extra={"error": str(exc)})
                else:
                    invalid = in_use - {row["token_id"] for row in rows}
                    if invalid:
                        self.revoke(invalid)
            await asyncio.sleep(CHECK_GAP)

    async def check(self, conn: AsyncConnection[DictRow], live: list[Session]) -> None:
        """End the streams whose token is no longer valid (revoked or expired)."""
        token_ids = {s.token_id for s in live if s.token_id is not None}
        if not token_ids:
            return
        cur = await conn.execute(QUERIES["tokens_valid"], {"token_ids": list(token_ids)})
        valid = {row["token_id"] for row in await cur.fetchall()}
        if token_ids - valid:
            self.revoke(token_ids - valid)

    def revoke(self, token_ids: set[uuid.UUID]) -> None:
        """End the streams opened with these tokens (revoked or expired, as the database says):
        UNAUTHENTICATED."""
        # Only tokens in use here, confirmed invalid: bounded by what callers present.
        if len(self.revoked) > MAX_REVOKED:
            self.revoked &= set(self.in_use)
        self.revoked |= token_ids
        self.core.notifications.wake_runs(None)  # Wait and Watch calls check their token
        for s in list(self.core.streams.sessions.values()):
            if s.token_id is None or s.token_id not in token_ids or s.ended:
                continue
            message = (
                f"token revoked: the API token {s.token_id} this stream was opened with was "
                "revoked or has expired; restart the worker with a valid token (HEWER_TOKEN)"
            )
            log.info(
                "ending stream: its token was revoked",
                extra={"worker_id": str(s.worker_id), "token_id": str(s.token_id)},
            )
            s.error(codes.UNAUTHENTICATED, message)
            s.end((grpc.StatusCode.UNAUTHENTICATED, message))

    @contextlib.contextmanager
    def using(self, token_id: uuid.UUID | None) -> Iterator[None]:
        """Count a long call's token as in use here (hewer_tokens hints re-check it)."""
        if token_id is None:
            yield
            return
        self.in_use[token_id] += 1
        try:
            yield
        finally:
            self.in_use[token_id] -= 1
            if self.in_use[token_id] <= 0:
                del self.in_use[token_id]
