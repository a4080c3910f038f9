"""Which tenant a dispatcher call acts for: API tokens in, `hewer.tenant` on connections out.

Every RPC presents an API token in its metadata (`authorization: Bearer <token>`), which
hewer.token_tenant resolves to a tenant on every call, so a revoked token is refused at
once. The dispatcher's database role is trusted with every tenant, so each call then sets
the session setting hewer.tenant to act for that tenant (docs/tenants.md). The setting is
kept per connection: a connection already on the tenant gets no extra statement, so a
single-tenant dispatcher pays nothing for it.
"""

from __future__ import annotations

import re
import uuid
import weakref
from collections.abc import Callable, Iterable
from typing import Any, Final, TypeVar

from psycopg import AsyncConnection

from pydispatch.queries import QUERIES

# The tenant of sessions that never set hewer.tenant (hewer.current_tenant()).
DEFAULT_TENANT: Final = uuid.UUID(int=0)

AUTHORIZATION: Final = "authorization"
_BEARER: Final = re.compile(r"^\s*bearer\s+(\S+)\s*$", re.IGNORECASE)
_TOKEN_ID: Final = re.compile(r"^hwt_([0-9a-f]{32})_[0-9a-f]{64}$")

T = TypeVar("T")


class BadAuthorizationError(ValueError):
    """The authorization metadata is not `Bearer <token>`."""


def bearer_token(metadata: Iterable[tuple[str, Any]] | None) -> str | None:
    """The token of the `authorization: Bearer <token>` metadata, None when there is none."""
    for key, value in metadata or ():
        if key.lower() != AUTHORIZATION:
            continue
        text = value.decode() if isinstance(value, bytes) else str(value)
        match = _BEARER.match(text)
        if match is None:
            raise BadAuthorizationError(
                "the authorization metadata must be 'Bearer <token>' (a token from: hewer "
                "tokens create NAME --tenant TENANT)"
            )
        return match.group(1)
    return None


def token_id(token: str | None) -> uuid.UUID | None:
    """The id part of a well-formed token (`hwt_<32 hex id>_<64 hex secret>`)."""
    match = _TOKEN_ID.match(token or "")
    return uuid.UUID(match.group(1)) if match else None


class TenantSettings:
    """The hewer.tenant each connection has, so it is set only when it changes."""

    def __init__(self) -> None:
        # A connection not in here has never set hewer.tenant: the default tenant. None: the
        # setting is unknown (a set_config that failed), so the next call sets it again.
        self._current: weakref.WeakKeyDictionary[AsyncConnection[Any], uuid.UUID | None] = (
            weakref.WeakKeyDictionary()
        )
        self.switches = 0  # set_config statements sent (for tests and metrics)

    async def use(self, conn: AsyncConnection[Any], tenant: uuid.UUID) -> None:
        """Make `conn` act for `tenant` (a session-level setting; nothing if it does already)."""
        if self._current.get(conn, DEFAULT_TENANT) == tenant:
            return
        self._current[conn] = None
        await conn.execute(QUERIES["set_tenant"], {"tenant": str(tenant)})
        self._current[conn] = tenant
        self.switches += 1


def by_tenant(items: Iterable[T], tenant_of: Callable[[T], uuid.UUID]) -> dict[uuid.UUID, list[T]]:
    """`items` grouped by tenant (in first-seen order): one SQL call per tenant."""
    groups: dict[uuid.UUID, list[T]] = {}
    for item in items:
        groups.setdefault(tenant_of(item), []).append(item)
    return groups
