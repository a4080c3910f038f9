"""The HTTP API from Python, for applications that cannot open gRPC connections.

`pyworker.rest` is generated from docs/openapi.json (`make clients`): a module per endpoint,
each with `sync`, `asyncio` and `*_detailed` functions, and typed models. This module adds
what the generated code leaves to its caller: a client from the environment, and `unwrap`,
which turns a problem (RFC 9457) into an exception::

    from pyworker.http import rest_client, unwrap
    from pyworker.rest.api.runs import get_run, trigger_run
    from pyworker.rest.models import TriggerRequest

    with rest_client() as api:  # HEWER_API_URL, HEWER_TOKEN
        made = unwrap(trigger_run.sync(client=api, body=TriggerRequest(workflow="digest")))
        run = unwrap(get_run.sync(made.run_id, client=api))
"""

from __future__ import annotations

import os
from typing import TypeVar

from pyworker.errors import HewerError
from pyworker.rest import AuthenticatedClient, Client
from pyworker.rest.models import Problem

__all__ = ["HttpApiError", "rest_client", "unwrap"]

T = TypeVar("T")


class HttpApiError(HewerError):
    """The API refused a request: its problem (status, title, detail, Hewer's code, hint)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.status = problem.status
        self.code = problem.code if isinstance(problem.code, str) else None
        hint = problem.hint if isinstance(problem.hint, str) else None
        text = f"{problem.status} {problem.title}: {problem.detail}"
        super().__init__(f"{text} ({self.code}). {hint}" if self.code and hint else text)


def rest_client(
    base_url: str | None = None, token: str | None = None, *, timeout: float = 30.0
) -> AuthenticatedClient | Client:
    """A client of the HTTP API at `base_url` (default: HEWER_API_URL, else
    http://$HEWER_API_LISTEN, else http://127.0.0.1:8080) with `token` (default:
    HEWER_TOKEN; none: the default tenant while no token exists)."""
    import httpx  # noqa: PLC0415 - only for the HTTP client

    url = base_url or os.environ.get("HEWER_API_URL")
    if not url:
        url = "http://" + (os.environ.get("HEWER_API_LISTEN") or "127.0.0.1:8080")
    secret = token if token is not None else os.environ.get("HEWER_TOKEN", "")
    limits = httpx.Timeout(timeout)
    if secret:
        return AuthenticatedClient(base_url=url, token=secret, timeout=limits)
    return Client(base_url=url, timeout=limits)


def unwrap(result: T | Problem | None) -> T:
    """The response's model; HttpApiError for a problem, HewerError for no body at all
    (a status the contract does not list)."""
    if isinstance(result, Problem):
        raise HttpApiError(result)
    if result is None:
        raise HewerError("the HTTP API answered with a status its contract does not list")
    return result
