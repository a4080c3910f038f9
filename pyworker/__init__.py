"""pyworker: the Hewer worker SDK (workflow and task definitions, slots, heartbeats).

Define work with `Workflow` and `@wf.task` (or a standalone `@task`); a task function takes
`(input, ctx)` and may be sync or async. Run it with a `Worker` (or `hewer worker module:attr`),
and start runs with a `Client` (async) or `SyncClient`.
"""

import importlib
from typing import TYPE_CHECKING, Any

from pyworker.children import ChildRun
from pyworker.client import Client, OutputChunk, RunEvent, RunInfo, RunSummary, SyncClient
from pyworker.context import Context, Refresh
from pyworker.durations import Duration, parse_duration
from pyworker.errors import (
    AuthenticationError,
    CelError,
    DefinitionError,
    HewerError,
    LeaseLostError,
    NonRetryableError,
    RegistrationError,
    RpcError,
    RunCancelledError,
    RunError,
    RunFailedError,
    RunNotFoundError,
    TargetError,
    TaskCancelledError,
    UnreachableError,
)
from pyworker.runner import build_worker, load_target, run_worker, serve_worker
from pyworker.worker import SDK_VERSION, Worker
from pyworker.workflow import (
    Backoff,
    Concurrency,
    Cron,
    RateLimit,
    Strategy,
    Task,
    Wait,
    Workflow,
    task,
)

if TYPE_CHECKING:
    from pyworker.events import Events
    from pyworker.versions import Workflows

# The SQL clients talk to PostgreSQL directly (psycopg, the server extra): imported on use,
# so the SDK alone (`pip install hewer`) runs workers and gRPC clients without them.
_SQL_CLIENTS = {"Events": "pyworker.events", "Workflows": "pyworker.versions"}


def __getattr__(name: str) -> Any:
    module_name = _SQL_CLIENTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'pyworker' has no attribute {name!r}")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ImportError(
            f"pyworker.{name} talks to PostgreSQL and needs {exc.name}, which the server extra "
            "installs: pip install 'hewer[server]'"
        ) from exc
    return getattr(module, name)


__all__ = [
    "SDK_VERSION",
    "AuthenticationError",
    "Backoff",
    "CelError",
    "ChildRun",
    "Client",
    "Concurrency",
    "Context",
    "Cron",
    "DefinitionError",
    "Duration",
    "Events",
    "HewerError",
    "LeaseLostError",
    "NonRetryableError",
    "OutputChunk",
    "RateLimit",
    "Refresh",
    "RegistrationError",
    "RpcError",
    "RunCancelledError",
    "RunError",
    "RunEvent",
    "RunFailedError",
    "RunInfo",
    "RunNotFoundError",
    "RunSummary",
    "Strategy",
    "SyncClient",
    "TargetError",
    "Task",
    "TaskCancelledError",
    "UnreachableError",
    "Wait",
    "Worker",
    "Workflow",
    "Workflows",
    "build_worker",
    "load_target",
    "parse_duration",
    "run_worker",
    "serve_worker",
    "task",
]
