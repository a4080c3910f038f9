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
        for item in watch_run(api, made.run_id):  # RunEvent..., then the finished Run
            print(item)
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any, TypeVar

from pyworker.errors import HewerError
from pyworker.rest import AuthenticatedClient, Client
from pyworker.rest.models import Problem, Run, RunEvent

__all__ = ["HttpApiError", "rest_client", "unwrap", "watch_run"]

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


def watch_run(
    client: AuthenticatedClient | Client,
    run_id: str | uuid.UUID,
    *,
    last_event_id: str | None = None,
    reconnects: int = 5,
) -> Iterator[RunEvent | Run]:
    """A run's task events as they happen (`RunEvent`), then the finished `Run`, from
    `GET /v1/runs/{run_id}/stream`. A dropped connection is resumed after the last event
    received (Last-Event-ID), up to `reconnects` times in a row: no event is lost or repeated.
    HttpApiError when the API refuses (an unknown run: 404) or ends the stream with an error."""
    import httpx  # noqa: PLC0415 - only for the HTTP client

    http = client.get_httpx_client()
    failures = 0
    while True:
        headers = {"Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        try:
            with http.stream(
                "GET", f"/v1/runs/{run_id}/stream", headers=headers, timeout=None
            ) as response:
                if response.status_code != 200:
                    response.read()
                    raise HttpApiError(Problem.from_dict(response.json()))
                for event, ident, data in _sse(response.iter_lines()):
                    failures = 0
                    if event == "task":
                        last_event_id = ident or last_event_id
                        yield RunEvent.from_dict(data)
                    elif event == "run":
                        yield Run.from_dict(data)
                        return
                    elif event == "error":
                        raise HttpApiError(Problem.from_dict(data))
        except (httpx.TransportError, httpx.RemoteProtocolError):
            failures += 1
            if failures > reconnects:
                raise
            time.sleep(min(0.2 * 2**failures, 5.0))


def _sse(lines: Iterator[str]) -> Iterator[tuple[str, str, Any]]:
    """(event, id, data as JSON) of each server-sent event; comment lines are skipped."""
    fields: dict[str, str] = {}
    for line in lines:
        if not line:
            if "data" in fields:
                yield (
                    fields.get("event", "message"),
                    fields.get("id", ""),
                    json.loads(fields["data"]),
                )
            fields = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(":")
            fields[key] = value.removeprefix(" ")
