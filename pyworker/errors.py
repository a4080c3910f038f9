"""The exceptions of the SDK: what task code raises, and what definitions and clients raise."""

from __future__ import annotations

from typing import Any


class HewerError(Exception):
    """Base of every error the SDK raises on purpose; the message names the thing and the fix."""


class DefinitionError(HewerError, ValueError):
    """A workflow or task definition is invalid (caught when it is defined, before any server)."""


class TargetError(HewerError):
    """A "module:attr" worker target cannot be loaded or is not something a worker can run."""


class RegistrationError(HewerError):
    """A dispatcher refused a workflow or a worker for a reason that retrying will not fix."""


class NonRetryableError(Exception):
    """Raise from a task to fail it at once: the task is not retried whatever its `retries`.

    Use it for errors that another attempt cannot fix (bad input, a missing resource).
    `error_type` overrides the type recorded in the error (by default the exception's class).
    """

    def __init__(self, message: str = "", *, error_type: str | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type


class TaskCancelledError(Exception):
    """Raised by `ctx.check_cancelled()` once the task was told to stop.

    Sync tasks cannot be interrupted, so they poll `ctx.cancelled` or call
    `ctx.check_cancelled()`; letting this propagate ends the task as cancelled.
    """


class LeaseLostError(HewerError):
    """The dispatcher no longer counts this attempt as current (it timed out or was reassigned)."""


class RpcError(HewerError):
    """A dispatcher call failed: `code` is the gRPC status name, `details` its message."""

    def __init__(self, method: str, code: str, details: str) -> None:
        super().__init__(f"{method} failed: {code}: {details}")
        self.method = method
        self.code = code
        self.details = details


class AuthenticationError(RpcError, RegistrationError):
    """The dispatcher refused the API token (UNAUTHENTICATED): none, malformed, unknown,
    revoked or expired. The message says how to get a valid one."""

    def __init__(self, method: str, code: str, details: str) -> None:
        super().__init__(method, code, details)
        self.args = (
            f"{method} failed: {code}: {details} -- set HEWER_TOKEN (or pass token=...) to a "
            "valid API token; create one with: hewer tokens create NAME --tenant TENANT",
        )


class UnreachableError(RpcError):
    """No dispatcher answered (UNAVAILABLE: nothing listens there). The message says how to
    start one."""

    def __init__(self, method: str, code: str, details: str) -> None:
        super().__init__(method, code, details)
        self.args = (
            f"{method} failed: no dispatcher is listening ({details}) -- start one with "
            "`hewer dispatcher` (or `hewer dev --keep`), or point --dispatcher / "
            "HEWER_DISPATCHERS at a running one",
        )


class RunNotFoundError(RpcError):
    """No run with this id (or not visible to this tenant)."""


class RunError(HewerError):
    """Base of the errors `Client.result` raises for a run that did not succeed."""

    def __init__(self, run_id: str, status: str, error: Any) -> None:
        super().__init__(f"run {run_id} {status}: {_describe(error)}")
        self.run_id = run_id
        self.status = status
        self.error = error


class RunFailedError(RunError):
    """The run failed; `error` is its error JSON (from the failing task)."""


class RunCancelledError(RunError):
    """The run was cancelled; `error` holds the reason when the server gave one."""


def _describe(error: Any) -> str:
    if isinstance(error, dict) and isinstance(error.get("error"), dict):
        # A run's error: {"step", "attempt", "error": the failing task's error, ...}.
        step = error.get("step")
        inner = _describe(error["error"])
        return f"step {step!r}: {inner}" if step else inner
    if isinstance(error, dict):
        kind = error.get("type")
        message = error.get("message")
        if kind or message:
            return ": ".join(str(p) for p in (kind, message) if p)
    if error is None:
        return "no error details"
    return str(error)


class CelError(ValueError):
    """A CEL expression that does not compile, or an evaluation that failed or gave no bool."""
