"""Waiting in tests: poll a condition until it holds, never sleep a fixed time and hope.

`wait_until` (sync) is the one the process harness and the chaos tools use too
(hewer_tools.processes); `until` is its async twin, for tests on an event loop.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any

from hewer_tools.processes import wait_until

__all__ = ["until", "wait_until"]


async def until(
    check: Callable[[], Awaitable[Any] | Any],
    timeout: float = 15.0,
    what: str = "the condition",
    pause: float = 0.02,
) -> Any:
    """Poll `check` (sync or async) until it returns something true, and return that;
    AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(pause)
