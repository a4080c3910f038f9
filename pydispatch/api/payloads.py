"""Large payloads over HTTP (docs/payloads.md): what the API writes goes to the payload store
when it is large, and what it reads is resolved, so clients and the dashboard see payloads,
never references. Every reference is read for the caller's tenant only."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import Request

from pydispatch.api.core import ApiError, Caller, as_tenant_conn
from pydispatch.payloads import PayloadError, Payloads

log = logging.getLogger("hewer.api")


def store(request: Request) -> Payloads:
    payloads: Payloads = request.app.state.payloads
    return payloads


async def offload(request: Request, who: Caller, kind: str, value: Any) -> str:
    """`value` as the JSON text to write: a reference to it in the store when it is large."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    payloads = store(request)
    if not payloads.may_offload(text):
        return text
    try:
        return await payloads.offload(who.conn, who.tenant, kind, text)
    except Exception as exc:  # the store failed, whatever its client raises
        raise _unavailable(payloads, exc) from exc


async def resolve(request: Request, who: Caller, value: Any) -> Any:
    """`value` (decoded JSON) with every payload reference in it replaced by its payload."""
    return await _resolve(store(request), who, value)


async def resolve_for_token(request: Request, token: str, value: Any) -> Any:
    """resolve() on a connection held just for it (streams hold none between polls)."""
    if not _holds_ref(value):
        return value
    async with as_tenant_conn(request, token) as who:
        return await _resolve(store(request), who, value)


async def _resolve(payloads: Payloads, who: Caller, value: Any) -> Any:
    if not _holds_ref(value):
        return value
    try:
        return await payloads.resolve_value(who.conn, who.tenant, value)
    except PayloadError as exc:
        raise ApiError(
            502,
            "payload_unavailable",
            str(exc),
            "The payload's object is missing or damaged in the payload store; restore it from "
            "a backup of the store (docs/payloads.md).",
        ) from exc
    except Exception as exc:  # the store failed, whatever its client raises
        raise _unavailable(payloads, exc) from exc


def _holds_ref(value: Any) -> bool:
    """A quick test: whether a decoded JSON value may hold a reference (most do not)."""
    if isinstance(value, dict):
        return any(k == "$hewer_ref" or _holds_ref(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_ref(v) for v in value)
    return False


def _unavailable(payloads: Payloads, exc: BaseException) -> ApiError:
    log.warning("payload store failed", extra={"store": payloads.url, "error": str(exc)})
    return ApiError(
        503,
        "payload_store_unavailable",
        f"the payload store {payloads.url} failed: {str(exc) or type(exc).__name__}",
        "Retry; if it goes on, check HEWER_PAYLOAD_STORE and the store's credentials.",
    )
