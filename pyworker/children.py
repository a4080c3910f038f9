"""Child runs spawned by a task (ctx.spawn): the handle a parent keeps to await them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyworker.workflow import Task, Workflow


def workflow_name(workflow: str | Workflow | Task[..., Any]) -> str:
    """The name of a workflow given as itself, one of its tasks, or its name."""
    if isinstance(workflow, Workflow):
        return workflow.name
    if isinstance(workflow, Task):
        return workflow.workflow.name
    return workflow


@dataclass(frozen=True)
class ChildRun:
    """A child run started by `ctx.spawn`: pass it to `ctx.wait_for` or `ctx.result`.

    created is False when the child key had already been used by this parent run (a retried
    parent gets the child its earlier attempt spawned).
    """

    run_id: str
    workflow: str
    key: str | None
    created: bool

    def __str__(self) -> str:
        return self.run_id
