"""pyworker: the Hewer worker SDK (workflow and task definitions, slots, heartbeats).

Define work with `Workflow` and `@wf.task` (or a standalone `@task`); a task function takes
`(input, ctx)` and may be sync or async. Run it with a `Worker` (or `hewer worker module:attr`),
and start runs with a `Client` (async) or `SyncClient`.
"""

from pyworker.cel import CelError
from pyworker.children import ChildRun
from pyworker.client import Client, RunEvent, RunInfo, RunSummary, SyncClient
from pyworker.context import Context, Refresh
from pyworker.durations import Duration, parse_duration
from pyworker.errors import (
    AuthenticationError,
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
)
from pyworker.events import Events
from pyworker.runner import build_worker, load_target, run_worker, serve_worker
from pyworker.versions import Workflows
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
