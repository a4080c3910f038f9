"""Running a worker from a "module:attr" target until SIGTERM or SIGINT: `hewer worker`."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from pyworker.errors import TargetError
from pyworker.logs import setup_logging
from pyworker.worker import Worker
from pyworker.workflow import Task, Workflow


def load_target(target: str) -> object:
    """Import "package.module:attr" (attr may be dotted) and return the attribute.

    The current directory is importable, as it is for `python -m`, so a project's own modules
    load without installing them.
    """
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise TargetError(
            f"worker target {target!r} must be 'module:attribute', e.g. 'myapp.flows:summarize'"
        )
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only a missing target module is the user's typo; a missing import inside it is a bug
        # of the module, best shown with its traceback.
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise TargetError(
                f"cannot import module {module_name!r} of worker target {target!r}: {exc}; "
                "run from the directory that contains it or install it"
            ) from None
        raise
    obj: object = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise TargetError(
                f"worker target {target!r}: {module_name!r} has no attribute {attr!r}"
            ) from None
    return obj


def build_worker(
    obj: object,
    *,
    target: str = "target",
    dispatchers: Sequence[str] | None = None,
    name: str | None = None,
    slots: int | None = None,
    labels: Mapping[str, str] | None = None,
    shutdown_grace: float | None = None,
    token: str | None = None,
) -> Worker:
    """A Worker from a loaded target: a Worker (options given here override its own), or a
    Workflow, a @task, or a list or tuple of those (a new Worker with these options)."""
    if isinstance(obj, Worker):
        worker = obj
        if dispatchers:
            worker.dispatchers = list(dispatchers)
        if name:
            worker.name = name
        if slots is not None:
            worker.slots = slots
        if labels:
            worker.labels = {**worker.labels, **{str(k): str(v) for k, v in labels.items()}}
        if shutdown_grace is not None:
            worker.shutdown_grace = shutdown_grace
        if token:
            worker.use_token(token)
        return worker
    items: list[Any]
    if isinstance(obj, Workflow | Task):
        items = [obj]
    elif isinstance(obj, list | tuple) and obj and all(isinstance(i, Workflow | Task) for i in obj):
        items = list(obj)
    else:
        raise TargetError(
            f"worker target {target!r} is {type(obj).__name__} {obj!r:.80}; expected a Worker, "
            "a Workflow, a @task, or a list of workflows and tasks"
        )
    options: dict[str, Any] = {"token": token}
    if shutdown_grace is not None:
        options["shutdown_grace"] = shutdown_grace
    return Worker(
        name,
        items,
        slots=slots if slots is not None else 10,
        dispatchers=dispatchers or None,
        labels=labels,
        **options,
    )


def run_worker(
    target: str,
    dispatchers: Sequence[str] | None = None,
    *,
    name: str | None = None,
    slots: int | None = None,
    labels: Mapping[str, str] | None = None,
    shutdown_grace: float | None = None,
    token: str | None = None,
    log_level: str | None = None,
    log_format: str | None = None,
) -> None:
    """Load `target` ("module:attr"), build its Worker and run it until SIGTERM or SIGINT.

    The first signal stops gracefully (no new work, up to shutdown_grace seconds for running
    tasks, then they are cancelled and reported retryable); a second one skips the wait.
    Configures logging: with log_level or log_format, hewer's setup (pyworker.logs: JSON
    lines or text on stderr); else INFO text to stderr unless the process already configured
    logging. Returns once stopped.
    Raises TargetError for a bad target, DefinitionError for an invalid
    workflow, RegistrationError if a dispatcher rejects a workflow or the worker.
    """
    if log_level is not None or log_format is not None:
        setup_logging(log_level or "INFO", log_format=log_format or "text")
    elif not logging.getLogger().handlers:
        setup_logging("INFO", log_format="text")
    worker = build_worker(
        load_target(target),
        target=target,
        dispatchers=dispatchers,
        name=name,
        slots=slots,
        labels=labels,
        shutdown_grace=shutdown_grace,
        token=token,
    )
    asyncio.run(serve_worker(worker))


async def serve_worker(worker: Worker) -> None:
    """Run a worker with SIGTERM and SIGINT wired to `worker.stop()`."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for sig in signals:
        loop.add_signal_handler(sig, worker.stop)
    try:
        await worker.run()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
