"""Defining work: workflows (DAGs of steps), their tasks, and the JSON spec the server registers.

A task function takes two positional arguments, `(input, ctx)`: the run's input (parsed into a
Pydantic model when the parameter is annotated with one) and the task's `Context`. It may be
sync or async, and returns a JSON-serializable value (or a Pydantic model, or a dataclass).

The spec is deterministic: the same definition always gives the same JSON, hence the same
checksum and the same workflow version on the server. Fields left unset are omitted, so the
server's defaults apply to them.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Protocol, TypeVar, overload

from pyworker.codec import is_model_class
from pyworker.durations import Duration, format_seconds, parse_duration, spec_seconds
from pyworker.errors import CelError, DefinitionError

if TYPE_CHECKING:
    from pyworker.client import Client

P = ParamSpec("P")
R = TypeVar("R")

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$")
_NAME_HINT = "1 to 128 characters: letters, digits and _ - . : (not starting with - . :)"

# The ranges hewer.workflow_register enforces, checked here so mistakes surface at import time.
_TIMEOUT_RANGE = (1.0, 7 * 86400.0)
_SCHEDULE_TIMEOUT_RANGE = (1.0, 30 * 86400.0)
_BACKOFF_BASE_RANGE = (0.0, 86400.0)
_BACKOFF_MAX_RANGE = (0.0, 7 * 86400.0)
_BACKOFF_DEFAULTS = {"base": 1.0, "max": 300.0}
_RETRIES_RANGE = (0, 100)
_PRIORITY_RANGE = (-1000, 1000)
_SLOTS_RANGE = (1, 1000)
_MAX_RANGE = (1, 1_000_000)
_UNITS_RANGE = (1, 1_000_000)
_LABELS_RANGE = (1, 20)
_LABEL_VALUE_MAX = 256
_WEIGHT_RANGE = (1, 100)
_STICKY = ("soft", "hard")
EVENT_PATTERN = re.compile(r"^[A-Za-z0-9_*][A-Za-z0-9_.:/*-]{0,254}$")
_CATCH_UP = ("skip", "once")


@dataclass(frozen=True)
class Cron:
    """A cron trigger for `Workflow(cron=[...])`: a UTC cron expression, the run input, and
    what to do with ticks missed while no dispatcher ran ('skip' or fire 'once')."""

    expression: str
    input: dict[str, Any] | None = None
    catch_up: str = "skip"

    def spec(self, where: str) -> dict[str, Any] | str:
        if not isinstance(self.expression, str) or not _cron_valid(self.expression):
            raise DefinitionError(
                f"{where}: {self.expression!r} is not a cron expression; use 5 fields, "
                "minute hour day month weekday (UTC), e.g. '*/5 * * * *'"
            )
        if self.catch_up not in _CATCH_UP:
            raise DefinitionError(
                f"{where}: catch_up must be 'skip' or 'once', got {self.catch_up!r}"
            )
        if self.input is not None and not isinstance(self.input, dict):
            raise DefinitionError(f"{where}: cron input must be a dict, got {self.input!r}")
        if self.input is None and self.catch_up == "skip":
            return self.expression
        spec: dict[str, Any] = {"expression": self.expression, "catch_up": self.catch_up}
        if self.input is not None:
            spec["input"] = self.input
        return spec


def check_name(name: object, what: str) -> str:
    """`name` if it is a valid workflow, step or action name; DefinitionError otherwise."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise DefinitionError(f"{what} {name!r} is not a valid name: use {_NAME_HINT}")
    return name


def _check_int(value: object, what: str, bounds: tuple[int, int]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DefinitionError(f"{what} must be an integer, got {value!r}")
    low, high = bounds
    if not low <= value <= high:
        raise DefinitionError(f"{what} must be from {low} to {high}, got {value}")
    return value


def _check_number(value: object, what: str, low: float, high: float) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DefinitionError(f"{what} must be a number, got {value!r}")
    if not low <= value <= high:
        raise DefinitionError(f"{what} must be between {low:g} and {high:g}, got {value!r}")
    return int(value) if float(value).is_integer() else value


def _check_duration(value: Duration, what: str, bounds: tuple[float, float]) -> float:
    try:
        seconds = parse_duration(value, what)
    except ValueError as exc:
        raise DefinitionError(str(exc)) from None
    low, high = bounds
    if not low <= seconds <= high:
        raise DefinitionError(
            f"{what} must be between {format_seconds(low)} and {format_seconds(high)}, "
            f"got {value!r}"
        )
    return seconds


@dataclass(frozen=True)
class Backoff:
    """How long a failed task waits before its next attempt.

    After attempt n failed: delay = min(max, base * factor ** (n - 1)), spread by +/- jitter (a
    fraction), so the first retry waits `base`. Unset fields
    take the server's defaults: base 1s, factor 2, max 5m, jitter 0.1.
    """

    base: Duration | None = None
    factor: float | None = None
    max: Duration | None = None
    jitter: float | None = None

    def spec(self, where: str) -> dict[str, int | float]:
        """The spec's "backoff" object, validated; `where` names the step in errors."""
        out: dict[str, int | float] = {}
        base = _BACKOFF_DEFAULTS["base"]
        top = _BACKOFF_DEFAULTS["max"]
        if self.base is not None:
            base = _check_duration(self.base, f"{where}: backoff.base", _BACKOFF_BASE_RANGE)
            out["base"] = spec_seconds(base)
        if self.factor is not None:
            out["factor"] = _check_number(self.factor, f"{where}: backoff.factor", 1, 10)
        if self.max is not None:
            top = _check_duration(self.max, f"{where}: backoff.max", _BACKOFF_MAX_RANGE)
            out["max"] = spec_seconds(top)
        if self.jitter is not None:
            out["jitter"] = _check_number(self.jitter, f"{where}: backoff.jitter", 0, 1)
        if top < base:
            raise DefinitionError(
                f"{where}: backoff.max ({format_seconds(top)}) is below backoff.base "
                f"({format_seconds(base)}); raise max or lower base"
            )
        return out


class Strategy(StrEnum):
    """What a concurrency limit does when its key is full.

    GROUP_ROUND_ROBIN: runs (or tasks) wait, and the keys take turns, so one busy key cannot
    starve the others. CANCEL_IN_PROGRESS: a new run cancels the oldest active run of its key.
    CANCEL_NEWEST: a new run is cancelled while its key is full. The cancel strategies apply to
    workflow limits only.
    """

    GROUP_ROUND_ROBIN = "GROUP_ROUND_ROBIN"
    CANCEL_IN_PROGRESS = "CANCEL_IN_PROGRESS"
    CANCEL_NEWEST = "CANCEL_NEWEST"


@dataclass(frozen=True)
class Concurrency:
    """At most `max` runs (on a workflow) or running tasks (on a step) per key at once.

    key is a CEL expression over the run input (`input.user_id`,
    `input.org + ":" + input.model`), compiled to SQL by the server when the workflow is
    registered; no key means one key for all.
    """

    max: int
    key: str | None = None
    strategy: Strategy | str = Strategy.GROUP_ROUND_ROBIN

    def spec(self, where: str, *, step: bool) -> dict[str, Any]:
        """The spec's "concurrency" object, validated; `where` names the owner in errors."""
        out: dict[str, Any] = {"max": _check_int(self.max, f"{where}: concurrency max", _MAX_RANGE)}
        if self.key is not None:
            out["key"] = _check_key(self.key, f"{where}: concurrency key")
        try:
            strategy = Strategy(self.strategy)
        except ValueError:
            raise DefinitionError(
                f"{where}: concurrency strategy {self.strategy!r} is not one of "
                f"{', '.join(s.value for s in Strategy)}"
            ) from None
        if step and strategy is not Strategy.GROUP_ROUND_ROBIN:
            raise DefinitionError(
                f"{where}: {strategy.value} applies to whole runs: put it on the Workflow's "
                "concurrency; a step's limit is GROUP_ROUND_ROBIN"
            )
        if strategy is not Strategy.GROUP_ROUND_ROBIN:
            out["strategy"] = strategy.value
        return out


@dataclass(frozen=True)
class RateLimit:
    """Each task of the step spends `units` tokens of the named rate limit.

    Create the limit first (`hewer ratelimits set NAME RATE --period 1m`, or
    `hewer.rate_limit_set` in SQL). With a key (CEL over the run input), each key value has
    its own bucket, e.g. one per user.
    """

    limit: str
    units: int = 1
    key: str | None = None

    def spec(self, where: str) -> dict[str, Any]:
        out: dict[str, Any] = {"limit": check_name(self.limit, f"{where}: rate limit")}
        if self.units != 1:
            out["units"] = _check_int(self.units, f"{where}: rate limit units", _UNITS_RANGE)
        if self.key is not None:
            out["key"] = _check_key(self.key, f"{where}: rate limit key")
        return out


def _check_key(key: object, what: str) -> str:
    if not isinstance(key, str) or not key.strip():
        raise DefinitionError(
            f"{what} must be a CEL expression over the input, e.g. 'input.user_id'; got {key!r}"
        )
    return key


def _concurrency_spec(value: object, where: str, *, step: bool) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Concurrency):
        raise DefinitionError(
            f"{where}: concurrency must be a Concurrency(max=..., key=...), got {value!r}"
        )
    return value.spec(where, step=step)


def _rate_limits_spec(value: object, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    items = [value] if isinstance(value, RateLimit) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, RateLimit) for i in items):
        raise DefinitionError(
            f"{where}: rate_limits must be a list of RateLimit(limit=..., units=...), got {value!r}"
        )
    return [i.spec(where) for i in items]


# Worker affinity (docs/affinity.md): a step's required and preferred worker labels.
LabelPreference = str | tuple[str, int] | Mapping[str, Any]
"""A preferred label's value: "llama-3-70b" (weight 1), ("llama-3-70b", 10), or
{"value": "llama-3-70b", "weight": 10}."""


def _check_labels_dict(value: object, what: str, example: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise DefinitionError(
            f"{what} must be a dict of label name to value, e.g. {example}; got {value!r}"
        )
    low, high = _LABELS_RANGE
    if not low <= len(value) <= high:
        raise DefinitionError(
            f"{what} must name {low} to {high} labels, e.g. {example}, got {len(value)}; "
            "leave it out for none"
        )
    return value


def _check_label_value(value: object, what: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= _LABEL_VALUE_MAX:
        raise DefinitionError(
            f"{what} must be text of 1 to {_LABEL_VALUE_MAX} characters (as the worker's "
            f"labels are), got {value!r}"
        )
    return value


def _worker_labels_spec(value: object, where: str) -> dict[str, str] | None:
    """The step's "worker_labels": every one required of the worker that claims its tasks."""
    if value is None:
        return None
    what = f"{where}: worker_labels"
    labels = _check_labels_dict(value, what, "{'gpu': 'a100'}")
    return {
        check_name(name, f"{what}: label name"): _check_label_value(label, f"{what}[{name!r}]")
        for name, label in labels.items()
    }


def _preferred_labels_spec(value: object, where: str) -> dict[str, dict[str, Any]] | None:
    """The step's "preferred_labels", each as {"value": ..., "weight": 1..100}."""
    if value is None:
        return None
    what = f"{where}: preferred_labels"
    labels = _check_labels_dict(value, what, "{'model': ('llama-3-70b', 10)}")
    out: dict[str, dict[str, Any]] = {}
    for name, preference in labels.items():
        check_name(name, f"{what}: label name")
        item = f"{what}[{name!r}]"
        weight: object = 1
        if isinstance(preference, str):
            label: object = preference
        elif isinstance(preference, tuple) and len(preference) == 2:
            label, weight = preference
        elif (
            isinstance(preference, Mapping)
            and "value" in preference
            and set(preference) <= {"value", "weight"}
        ):
            label, weight = preference["value"], preference.get("weight", 1)
        else:
            raise DefinitionError(
                f"{item} must be a value ('llama-3-70b'), a (value, weight) pair "
                f"(('llama-3-70b', 10)) or {{'value': ..., 'weight': ...}}; got {preference!r}"
            )
        out[name] = {
            "value": _check_label_value(label, f"{item} value"),
            "weight": _check_int(weight, f"{item} weight", _WEIGHT_RANGE),
        }
    return out


def _sticky_spec(value: object, where: str) -> str | None:
    if value is None or value in _STICKY:
        return value
    raise DefinitionError(
        f"{where}: sticky must be 'soft' (another worker may take a task that waited 2 s) or "
        f"'hard' (only the run's worker while it lives), got {value!r}; leave it out for none"
    )


@dataclass(frozen=True)
class Wait:
    """A durable wait for a step (`@wf.task(wait=...)`): before it becomes ready the step waits,
    holding no worker slot, for an event or a sleep. Make one with `Wait.event` or
    `Wait.sleep`."""

    spec: dict[str, Any]

    @staticmethod
    def event(
        key: str,
        match: str | None = None,
        *,
        timeout: Duration | None = None,
        on_timeout: str = "fail",
    ) -> Wait:
        """Wait for an event with this key (pattern); `match` is CEL over payload, input, key
        and metadata (e.g. "payload.order_id == input.order_id"). After `timeout` (default 1
        day) the step fails (`on_timeout="fail"`) or is skipped ("skip")."""
        if not isinstance(key, str) or not EVENT_PATTERN.match(key):
            raise DefinitionError(f"wait: {key!r} is not an event key pattern, e.g. 'order.*'")
        spec: dict[str, Any] = {"event": key}
        if match is not None:
            _check_cel(match, "wait")
            spec["match"] = match
        if timeout is not None:
            spec["timeout"] = spec_seconds(
                _check_duration(timeout, "wait: timeout", (1.0, 30 * 86400.0))
            )
        if on_timeout not in ("fail", "skip"):
            raise DefinitionError(f"wait: on_timeout must be 'fail' or 'skip', got {on_timeout!r}")
        if on_timeout != "fail":
            spec["on_timeout"] = on_timeout
        return Wait(spec)

    @staticmethod
    def sleep(duration: Duration) -> Wait:
        """Wait this long (from when the step's parents are done) before the step is ready."""
        return Wait(
            {"sleep": spec_seconds(_check_duration(duration, "wait: sleep", (0.0, 30 * 86400.0)))}
        )


class Task(Generic[P, R]):
    """One step of a workflow and the function that runs it.

    Calling the task calls the function, so task functions can be unit-tested directly.
    """

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        workflow: Workflow,
        name: str,
        parents: tuple[str, ...],
        action: str | None,
        retries: int | None,
        timeout: float | None,
        schedule_timeout: float | None,
        backoff: dict[str, int | float] | None,
        priority: int | None,
        description: str | None,
        input_model: type[Any] | None,
        concurrency: dict[str, Any] | None = None,
        rate_limits: list[dict[str, Any]] | None = None,
        slots: int | None = None,
        worker_labels: dict[str, str] | None = None,
        preferred_labels: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.fn = fn
        self.worker_labels = worker_labels
        self.preferred_labels = preferred_labels
        self.concurrency = concurrency
        self.rate_limits = rate_limits or []
        self.slots = slots
        self.workflow = workflow
        self.name = name
        self.parents = parents
        self.explicit_action = action
        self.retries = retries
        self.timeout = timeout
        self.schedule_timeout = schedule_timeout
        self.backoff = backoff
        self.priority = priority
        self.description = description
        self.input_model = input_model
        self.is_async = _is_async(fn)
        self.wait: Wait | None = None

    @property
    def action(self) -> str:
        """What workers register and assignments name: `action=`, else "<workflow>:<step>"."""
        return self.explicit_action or f"{self.workflow.name}:{self.name}"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Task {self.workflow.name}.{self.name} action={self.action!r}>"

    def spec(self) -> dict[str, Any]:
        """This step's entry in the workflow spec (unset fields omitted)."""
        step: dict[str, Any] = {"name": self.name}
        if self.explicit_action is not None and self.explicit_action != self.action_default:
            step["action"] = self.explicit_action
        if self.parents:
            step["parents"] = list(self.parents)
        if self.retries is not None:
            step["retries"] = self.retries
        if self.backoff:
            step["backoff"] = dict(self.backoff)
        if self.timeout is not None:
            step["timeout"] = spec_seconds(self.timeout)
        if self.schedule_timeout is not None:
            step["schedule_timeout"] = spec_seconds(self.schedule_timeout)
        if self.priority is not None:
            step["priority"] = self.priority
        if self.description is not None:
            step["description"] = self.description
        if self.concurrency is not None:
            step["concurrency"] = dict(self.concurrency)
        if self.rate_limits:
            step["rate_limits"] = [dict(r) for r in self.rate_limits]
        if self.slots is not None:
            step["slots"] = self.slots
        step.update(self._affinity_spec())
        if self.wait is not None:
            step["wait"] = dict(self.wait.spec)
        return step

    def _affinity_spec(self) -> dict[str, Any]:
        """The step's worker_labels and preferred_labels, those given (docs/affinity.md)."""
        out: dict[str, Any] = {}
        if self.worker_labels is not None:
            out["worker_labels"] = dict(self.worker_labels)
        if self.preferred_labels is not None:
            out["preferred_labels"] = {k: dict(v) for k, v in self.preferred_labels.items()}
        return out

    @property
    def action_default(self) -> str:
        """The action the server gives this step when the spec names none."""
        return f"{self.workflow.name}:{self.name}"


class TaskDecorator(Protocol):
    """What `@wf.task(...)` and `@task(...)` return: turns a function into a Task."""

    def __call__(self, fn: Callable[P, R], /) -> Task[P, R]: ...


class Workflow:
    """A named DAG of tasks. Define steps with `@wf.task(...)`; `wf.spec()` is what gets registered.

    Each definition change (a new step, another timeout) registers as a new version when a
    worker starts; runs already in flight keep the version they started with.

    sticky="soft" or "hard" keeps a run's tasks on the worker that claimed its first task
    (docs/affinity.md): "soft" lets another worker take a task that waited 2 s, "hard" only
    once that worker is dead or stopped.
    """

    def __init__(
        self,
        name: str,
        *,
        description: str | None = None,
        priority: int | None = None,
        concurrency: Concurrency | None = None,
        on_events: Sequence[str] = (),
        cron: Sequence[str | Cron] = (),
        sticky: typing.Literal["soft", "hard"] | None = None,
    ) -> None:
        self.name = check_name(name, "workflow name")
        self.sticky = _sticky_spec(sticky, f"workflow {name!r}")
        self.concurrency = _concurrency_spec(concurrency, f"workflow {name!r}", step=False)
        if isinstance(on_events, str):
            on_events = [on_events]
        for pattern in on_events:
            if not isinstance(pattern, str) or not EVENT_PATTERN.match(pattern):
                raise DefinitionError(
                    f"workflow {name!r}: {pattern!r} is not an event key pattern; use letters, "
                    "digits and _ . : / -, with * for any run of characters, e.g. 'order.*'"
                )
        self.on_events = list(on_events)
        if isinstance(cron, str):
            cron = [cron]
        crons = [c if isinstance(c, Cron) else Cron(c) for c in cron]
        self._cron_spec = [c.spec(f"workflow {name!r}, cron") for c in crons]
        if description is not None and not isinstance(description, str):
            raise DefinitionError(f"workflow {name!r}: description must be a string")
        self.description = description
        self.priority = (
            None
            if priority is None
            else _check_int(priority, f"workflow {name!r}: priority", _PRIORITY_RANGE)
        )
        self._tasks: dict[str, Task[..., Any]] = {}

    def __repr__(self) -> str:
        return f"<Workflow {self.name} steps={list(self._tasks)}>"

    @property
    def tasks(self) -> tuple[Task[..., Any], ...]:
        """The steps in the order they were defined (the order of the spec)."""
        return tuple(self._tasks.values())

    def __getitem__(self, step: str) -> Task[..., Any]:
        try:
            return self._tasks[step]
        except KeyError:
            raise KeyError(
                f"workflow {self.name!r} has no step {step!r}; steps: {', '.join(self._tasks)}"
            ) from None

    @overload
    def task(self, fn: Callable[P, R], /) -> Task[P, R]: ...

    @overload
    def task(
        self,
        *,
        name: str | None = None,
        parents: Sequence[Task[..., Any] | str] = (),
        retries: int | None = None,
        timeout: Duration | None = None,
        schedule_timeout: Duration | None = None,
        backoff: Backoff | None = None,
        priority: int | None = None,
        action: str | None = None,
        description: str | None = None,
        input_model: type[Any] | None = None,
        concurrency: Concurrency | None = None,
        rate_limits: Sequence[RateLimit] | None = None,
        slots: int | None = None,
        worker_labels: Mapping[str, str] | None = None,
        preferred_labels: Mapping[str, LabelPreference] | None = None,
        wait: Wait | None = None,
    ) -> TaskDecorator: ...

    def task(
        self,
        fn: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        parents: Sequence[Task[..., Any] | str] = (),
        retries: int | None = None,
        timeout: Duration | None = None,
        schedule_timeout: Duration | None = None,
        backoff: Backoff | None = None,
        priority: int | None = None,
        action: str | None = None,
        description: str | None = None,
        input_model: type[Any] | None = None,
        concurrency: Concurrency | None = None,
        rate_limits: Sequence[RateLimit] | None = None,
        slots: int | None = None,
        worker_labels: Mapping[str, str] | None = None,
        preferred_labels: Mapping[str, LabelPreference] | None = None,
        wait: Wait | None = None,
    ) -> Any:
        """Decorator: add the function as a step, `@wf.task` or `@wf.task(parents=[...], ...)`.

        name defaults to the function's name; parents are tasks of this workflow (or their
        names); retries is the number of attempts after the first; timeout is the execution
        lease, schedule_timeout how long the task may wait in the queue; action defaults to
        "<workflow>:<step>"; input_model overrides the Pydantic model taken from the input
        parameter's annotation. concurrency caps the step's running tasks per key,
        rate_limits are the token buckets each task spends from, and slots is how many of a
        worker's slots one task takes (default 1); worker_labels are labels a worker must
        have to claim its tasks ({"gpu": "a100"}), preferred_labels labels a worker claims them
        sooner for ({"model": "llama-3-70b"}, or ("llama-3-70b", weight 1 to 100));
        wait is a durable wait (`Wait.event(...)`, `Wait.sleep(...)`)
        the step goes through once its parents are done.
        """
        if wait is not None and not isinstance(wait, Wait):
            raise DefinitionError(
                f"workflow {self.name!r}: wait must be Wait.event(...) or Wait.sleep(...)"
            )

        def decorate(f: Callable[..., Any]) -> Task[..., Any]:
            added = self._add(
                f,
                name=name,
                parents=parents,
                retries=retries,
                timeout=timeout,
                schedule_timeout=schedule_timeout,
                backoff=backoff,
                priority=priority,
                action=action,
                description=description,
                input_model=input_model,
                concurrency=concurrency,
                rate_limits=rate_limits,
                slots=slots,
                worker_labels=worker_labels,
                preferred_labels=preferred_labels,
            )
            added.wait = wait
            return added

        if fn is not None:
            return decorate(fn)
        return decorate

    def _add(
        self,
        fn: Callable[P, R],
        *,
        name: str | None,
        parents: Sequence[Task[..., Any] | str],
        retries: int | None,
        timeout: Duration | None,
        schedule_timeout: Duration | None,
        backoff: Backoff | None,
        priority: int | None,
        action: str | None,
        description: str | None,
        input_model: type[Any] | None,
        concurrency: Concurrency | None = None,
        rate_limits: Sequence[RateLimit] | None = None,
        slots: int | None = None,
        worker_labels: Mapping[str, str] | None = None,
        preferred_labels: Mapping[str, LabelPreference] | None = None,
    ) -> Task[P, R]:
        if not callable(fn):
            raise DefinitionError(f"workflow {self.name!r}: a task must be a function, got {fn!r}")
        step = name if name is not None else getattr(fn, "__name__", None)
        if step is None:
            raise DefinitionError(f"workflow {self.name!r}: pass name= for {fn!r}")
        check_name(step, f"workflow {self.name!r}: step name")
        where = f"workflow {self.name!r}, step {step!r}"
        if step in self._tasks:
            raise DefinitionError(
                f"{where}: a step with this name is already defined; give one of them name=..."
            )
        _check_signature(fn, where)
        if action is not None:
            check_name(action, f"{where}: action")
        if description is not None and not isinstance(description, str):
            raise DefinitionError(f"{where}: description must be a string")
        model = input_model if input_model is not None else _input_annotation(fn)
        if model is not None and not is_model_class(model):
            raise DefinitionError(f"{where}: input_model must be a Pydantic model class")
        checked_retries = (
            None if retries is None else _check_int(retries, f"{where}: retries", _RETRIES_RANGE)
        )
        checked_priority = (
            None
            if priority is None
            else _check_int(priority, f"{where}: priority", _PRIORITY_RANGE)
        )
        checked_timeout = (
            None
            if timeout is None
            else _check_duration(timeout, f"{where}: timeout", _TIMEOUT_RANGE)
        )
        checked_schedule_timeout = (
            None
            if schedule_timeout is None
            else _check_duration(
                schedule_timeout, f"{where}: schedule_timeout", _SCHEDULE_TIMEOUT_RANGE
            )
        )
        task = Task(
            fn,
            workflow=self,
            name=step,
            parents=self._parent_names(parents, where, step),
            action=action,
            retries=checked_retries,
            timeout=checked_timeout,
            schedule_timeout=checked_schedule_timeout,
            backoff=_backoff_spec(backoff, where),
            priority=checked_priority,
            description=description,
            input_model=model,
            concurrency=_concurrency_spec(concurrency, where, step=True),
            rate_limits=_rate_limits_spec(rate_limits, where),
            slots=None if slots is None else _check_int(slots, f"{where}: slots", _SLOTS_RANGE),
            worker_labels=_worker_labels_spec(worker_labels, where),
            preferred_labels=_preferred_labels_spec(preferred_labels, where),
        )
        self._tasks[step] = task
        return task

    def _parent_names(
        self, parents: Sequence[Task[..., Any] | str], where: str, step: str
    ) -> tuple[str, ...]:
        if isinstance(parents, str | Task):
            parents = [parents]
        names: list[str] = []
        for parent in parents:
            if isinstance(parent, Task):
                if parent.workflow is not self:
                    raise DefinitionError(
                        f"{where}: parent {parent.name!r} belongs to workflow "
                        f"{parent.workflow.name!r}; parents must be steps of {self.name!r}"
                    )
                parent_name = parent.name
            elif isinstance(parent, str):
                parent_name = parent
            else:
                raise DefinitionError(
                    f"{where}: a parent must be a task of this workflow or a step name, "
                    f"got {parent!r}"
                )
            if parent_name == step:
                raise DefinitionError(f"{where}: a step cannot be its own parent")
            if parent_name in names:
                raise DefinitionError(f"{where}: parent {parent_name!r} is listed twice")
            names.append(parent_name)
        return tuple(names)

    def validate(self) -> None:
        """Check what only the whole workflow shows: steps exist, parents exist, no cycle."""
        if not self._tasks:
            raise DefinitionError(
                f"workflow {self.name!r} has no steps; add one with @{self.name}.task"
            )
        for task in self._tasks.values():
            for parent in task.parents:
                if parent not in self._tasks:
                    raise DefinitionError(
                        f"workflow {self.name!r}, step {task.name!r}: parent {parent!r} is not "
                        f"a step of this workflow; steps: {', '.join(self._tasks)}"
                    )
        cycle = self._find_cycle()
        if cycle:
            raise DefinitionError(
                f"workflow {self.name!r}: steps form a cycle: {' -> '.join(cycle)}; "
                "remove one edge of the cycle"
            )

    def _find_cycle(self) -> list[str] | None:
        """A cycle of parent edges as a path (start repeated at the end), or None."""
        state: dict[str, int] = {}  # 1 = on the current path, 2 = done
        path: list[str] = []

        def visit(step: str) -> list[str] | None:
            state[step] = 1
            path.append(step)
            for parent in self._tasks[step].parents:
                if state.get(parent) == 1:
                    return [*path[path.index(parent) :], parent]
                if parent not in state:
                    found = visit(parent)
                    if found:
                        return found
            path.pop()
            state[step] = 2
            return None

        for step in self._tasks:
            if step not in state:
                found = visit(step)
                if found:
                    return found
        return None

    def spec(self) -> dict[str, Any]:
        """The JSON spec for hewer.workflow_register: validated, deterministic, defaults omitted."""
        self.validate()
        spec: dict[str, Any] = {"steps": [t.spec() for t in self._tasks.values()]}
        if self.description is not None:
            spec["description"] = self.description
        if self.priority is not None:
            spec["priority"] = self.priority
        if self.concurrency is not None:
            spec["concurrency"] = dict(self.concurrency)
        if self.on_events:
            spec["on_events"] = self.on_events
        if self._cron_spec:
            spec["cron"] = self._cron_spec
        if self.sticky is not None:
            spec["sticky"] = self.sticky
        return spec

    def spec_json(self) -> str:
        """`spec()` as canonical JSON text (sorted keys, no spaces)."""
        return json.dumps(self.spec(), sort_keys=True, separators=(",", ":"))

    async def run(
        self, input: Any = None, *, client: Client, timeout: Duration | None = None
    ) -> Any:
        """Trigger a run of this workflow and wait for its output (see `Client.result`)."""
        run_id = await client.trigger(self.name, input)
        return await client.result(run_id, timeout=timeout)


@overload
def task(fn: Callable[P, R], /) -> Task[P, R]: ...


@overload
def task(
    *,
    name: str | None = None,
    retries: int | None = None,
    timeout: Duration | None = None,
    schedule_timeout: Duration | None = None,
    backoff: Backoff | None = None,
    priority: int | None = None,
    action: str | None = None,
    description: str | None = None,
    input_model: type[Any] | None = None,
    concurrency: Concurrency | None = None,
    rate_limits: Sequence[RateLimit] | None = None,
    slots: int | None = None,
    worker_labels: Mapping[str, str] | None = None,
    preferred_labels: Mapping[str, LabelPreference] | None = None,
) -> TaskDecorator: ...


def task(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    retries: int | None = None,
    timeout: Duration | None = None,
    schedule_timeout: Duration | None = None,
    backoff: Backoff | None = None,
    priority: int | None = None,
    action: str | None = None,
    description: str | None = None,
    input_model: type[Any] | None = None,
    concurrency: Concurrency | None = None,
    rate_limits: Sequence[RateLimit] | None = None,
    slots: int | None = None,
    worker_labels: Mapping[str, str] | None = None,
    preferred_labels: Mapping[str, LabelPreference] | None = None,
) -> Any:
    """Decorator for a standalone task: a one-step workflow named `name` (default: the function's).

    The step has the same name as the workflow, so its action is "<name>:<name>". Trigger it by
    that name; give the task (or `task.workflow`) to a Worker.
    """

    def decorate(f: Callable[..., Any]) -> Task[..., Any]:
        wf_name = name if name is not None else getattr(f, "__name__", None)
        if wf_name is None:
            raise DefinitionError(f"pass name= for the standalone task {f!r}")
        wf = Workflow(wf_name, description=description)
        return wf.task(
            name=wf_name,
            retries=retries,
            timeout=timeout,
            schedule_timeout=schedule_timeout,
            backoff=backoff,
            priority=priority,
            action=action,
            input_model=input_model,
            concurrency=concurrency,
            rate_limits=rate_limits,
            slots=slots,
            worker_labels=worker_labels,
            preferred_labels=preferred_labels,
        )(f)

    if fn is not None:
        return decorate(fn)
    return decorate


def _backoff_spec(backoff: Backoff | None, where: str) -> dict[str, int | float] | None:
    if backoff is None:
        return None
    if not isinstance(backoff, Backoff):
        raise DefinitionError(
            f"{where}: backoff must be a Backoff(base=..., factor=..., max=..., jitter=...), "
            f"got {backoff!r}"
        )
    return backoff.spec(where) or None


def _check_signature(fn: Callable[..., Any], where: str) -> None:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # some builtins have no signature; they fail at run time if wrong
    try:
        signature.bind(None, None)
    except TypeError:
        raise DefinitionError(
            f"{where}: a task function takes two positional arguments (input, ctx), "
            f"got {getattr(fn, '__name__', fn)}{signature}"
        ) from None


def _input_annotation(fn: Callable[..., Any]) -> type[Any] | None:
    """The Pydantic model annotating the function's first parameter, if any."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    if not params or params[0].kind not in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        return None
    annotation = params[0].annotation
    if isinstance(annotation, str):
        annotation = _resolve_annotation(fn, params[0].name, annotation)
    return annotation if is_model_class(annotation) else None


def _resolve_annotation(fn: Callable[..., Any], param: str, text: str) -> Any:
    """A string annotation (`from __future__ import annotations`) as the object it names.

    Module-level names resolve through the function's globals; a class defined in an enclosing
    function is looked up in the frames of the code defining the task. Unresolvable: None.
    """
    with contextlib.suppress(Exception):
        return typing.get_type_hints(fn).get(param)
    if not text.isidentifier():
        return None
    frame = inspect.currentframe()
    try:
        for _ in range(_FRAME_SEARCH_DEPTH):
            if frame is None:
                return None
            if text in frame.f_locals and frame.f_globals is fn.__globals__:
                return frame.f_locals[text]
            frame = frame.f_back
    finally:
        del frame
    return None


# How far up the stack a local class named by a string annotation is searched for.
_FRAME_SEARCH_DEPTH = 8


def _is_async(fn: Callable[..., Any]) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)  # noqa: B004 - callable objects with async __call__
    return call is not None and inspect.iscoroutinefunction(call)


# CEL and cron syntax are checked where the definition is written when the server extra's
# parsers (celpy, croniter) are installed; without them (`pip install hewer`, the SDK alone)
# hewer.workflow_register checks the same when the worker registers, with the same message.


def _check_cel(expression: str, where: str) -> None:
    try:
        from pyworker.cel import compile_expression  # noqa: PLC0415
    except ModuleNotFoundError:
        return
    try:
        compile_expression(expression)
    except CelError as exc:
        raise DefinitionError(f"{where}: {exc}") from None


def _cron_valid(expression: str) -> bool:
    try:
        from croniter import croniter  # noqa: PLC0415
    except ModuleNotFoundError:
        return True
    return bool(croniter.is_valid(expression))
