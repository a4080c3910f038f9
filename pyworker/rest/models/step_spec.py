from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.backoff import Backoff
  from ..models.event_wait import EventWait
  from ..models.rate_limit_use import RateLimitUse
  from ..models.sleep_wait import SleepWait
  from ..models.step_concurrency import StepConcurrency
  from ..models.step_spec_preferred_labels_type_0 import StepSpecPreferredLabelsType0
  from ..models.step_spec_worker_labels_type_0 import StepSpecWorkerLabelsType0





T = TypeVar("T", bound="StepSpec")



@_attrs_define
class StepSpec:
    """ 
        Attributes:
            name (str):
            action (None | str | Unset): Default: "<workflow>:<step>".
            parents (list[str] | None | Unset):
            retries (int | None | Unset): Attempts after the first.
            timeout (float | int | None | str | Unset): The execution timeout.
            schedule_timeout (float | int | None | str | Unset):
            backoff (Backoff | None | Unset):
            priority (int | None | Unset):
            concurrency (None | StepConcurrency | Unset):
            slots (int | None | Unset):
            rate_limits (list[RateLimitUse] | None | Unset):
            worker_labels (None | StepSpecWorkerLabelsType0 | Unset): Required: only a worker whose labels include every one
                of these (equal values) claims the step's tasks; 1 to 20 labels, e.g. {"gpu": "a100"} (docs/affinity.md).
            preferred_labels (None | StepSpecPreferredLabelsType0 | Unset): Preferred: a worker with all of them claims the
                step's tasks at once, one with some or none after up to 2 s on the ready queue; 1 to 20 labels
                (docs/affinity.md).
            wait (EventWait | None | SleepWait | Unset):
            description (Any | Unset):
     """

    name: str
    action: None | str | Unset = UNSET
    parents: list[str] | None | Unset = UNSET
    retries: int | None | Unset = UNSET
    timeout: float | int | None | str | Unset = UNSET
    schedule_timeout: float | int | None | str | Unset = UNSET
    backoff: Backoff | None | Unset = UNSET
    priority: int | None | Unset = UNSET
    concurrency: None | StepConcurrency | Unset = UNSET
    slots: int | None | Unset = UNSET
    rate_limits: list[RateLimitUse] | None | Unset = UNSET
    worker_labels: None | StepSpecWorkerLabelsType0 | Unset = UNSET
    preferred_labels: None | StepSpecPreferredLabelsType0 | Unset = UNSET
    wait: EventWait | None | SleepWait | Unset = UNSET
    description: Any | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.backoff import Backoff # noqa: PLC0415
        from ..models.event_wait import EventWait # noqa: PLC0415
        from ..models.rate_limit_use import RateLimitUse # noqa: PLC0415
        from ..models.sleep_wait import SleepWait # noqa: PLC0415
        from ..models.step_concurrency import StepConcurrency # noqa: PLC0415
        from ..models.step_spec_preferred_labels_type_0 import StepSpecPreferredLabelsType0 # noqa: PLC0415
        from ..models.step_spec_worker_labels_type_0 import StepSpecWorkerLabelsType0 # noqa: PLC0415
        name = self.name

        action: None | str | Unset
        if isinstance(self.action, Unset):
            action = UNSET
        else:
            action = self.action

        parents: list[str] | None | Unset
        if isinstance(self.parents, Unset):
            parents = UNSET
        elif isinstance(self.parents, list):
            parents = self.parents


        else:
            parents = self.parents

        retries: int | None | Unset
        if isinstance(self.retries, Unset):
            retries = UNSET
        else:
            retries = self.retries

        timeout: float | int | None | str | Unset
        if isinstance(self.timeout, Unset):
            timeout = UNSET
        else:
            timeout = self.timeout

        schedule_timeout: float | int | None | str | Unset
        if isinstance(self.schedule_timeout, Unset):
            schedule_timeout = UNSET
        else:
            schedule_timeout = self.schedule_timeout

        backoff: dict[str, Any] | None | Unset
        if isinstance(self.backoff, Unset):
            backoff = UNSET
        elif isinstance(self.backoff, Backoff):
            backoff = self.backoff.to_dict()
        else:
            backoff = self.backoff

        priority: int | None | Unset
        if isinstance(self.priority, Unset):
            priority = UNSET
        else:
            priority = self.priority

        concurrency: dict[str, Any] | None | Unset
        if isinstance(self.concurrency, Unset):
            concurrency = UNSET
        elif isinstance(self.concurrency, StepConcurrency):
            concurrency = self.concurrency.to_dict()
        else:
            concurrency = self.concurrency

        slots: int | None | Unset
        if isinstance(self.slots, Unset):
            slots = UNSET
        else:
            slots = self.slots

        rate_limits: list[dict[str, Any]] | None | Unset
        if isinstance(self.rate_limits, Unset):
            rate_limits = UNSET
        elif isinstance(self.rate_limits, list):
            rate_limits = []
            for rate_limits_type_0_item_data in self.rate_limits:
                rate_limits_type_0_item = rate_limits_type_0_item_data.to_dict()
                rate_limits.append(rate_limits_type_0_item)


        else:
            rate_limits = self.rate_limits

        worker_labels: dict[str, Any] | None | Unset
        if isinstance(self.worker_labels, Unset):
            worker_labels = UNSET
        elif isinstance(self.worker_labels, StepSpecWorkerLabelsType0):
            worker_labels = self.worker_labels.to_dict()
        else:
            worker_labels = self.worker_labels

        preferred_labels: dict[str, Any] | None | Unset
        if isinstance(self.preferred_labels, Unset):
            preferred_labels = UNSET
        elif isinstance(self.preferred_labels, StepSpecPreferredLabelsType0):
            preferred_labels = self.preferred_labels.to_dict()
        else:
            preferred_labels = self.preferred_labels

        wait: dict[str, Any] | None | Unset
        if isinstance(self.wait, Unset):
            wait = UNSET
        elif isinstance(self.wait, EventWait):
            wait = self.wait.to_dict()
        elif isinstance(self.wait, SleepWait):
            wait = self.wait.to_dict()
        else:
            wait = self.wait

        description = self.description


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "name": name,
        })
        if action is not UNSET:
            field_dict["action"] = action
        if parents is not UNSET:
            field_dict["parents"] = parents
        if retries is not UNSET:
            field_dict["retries"] = retries
        if timeout is not UNSET:
            field_dict["timeout"] = timeout
        if schedule_timeout is not UNSET:
            field_dict["schedule_timeout"] = schedule_timeout
        if backoff is not UNSET:
            field_dict["backoff"] = backoff
        if priority is not UNSET:
            field_dict["priority"] = priority
        if concurrency is not UNSET:
            field_dict["concurrency"] = concurrency
        if slots is not UNSET:
            field_dict["slots"] = slots
        if rate_limits is not UNSET:
            field_dict["rate_limits"] = rate_limits
        if worker_labels is not UNSET:
            field_dict["worker_labels"] = worker_labels
        if preferred_labels is not UNSET:
            field_dict["preferred_labels"] = preferred_labels
        if wait is not UNSET:
            field_dict["wait"] = wait
        if description is not UNSET:
            field_dict["description"] = description

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.backoff import Backoff # noqa: PLC0415
        from ..models.event_wait import EventWait # noqa: PLC0415
        from ..models.rate_limit_use import RateLimitUse # noqa: PLC0415
        from ..models.sleep_wait import SleepWait # noqa: PLC0415
        from ..models.step_concurrency import StepConcurrency # noqa: PLC0415
        from ..models.step_spec_preferred_labels_type_0 import StepSpecPreferredLabelsType0 # noqa: PLC0415
        from ..models.step_spec_worker_labels_type_0 import StepSpecWorkerLabelsType0 # noqa: PLC0415
        d = dict(src_dict)
        name = d.pop("name")

        def _parse_action(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        action = _parse_action(d.pop("action", UNSET))


        def _parse_parents(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                parents_type_0 = cast(list[str], data)

                return parents_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        parents = _parse_parents(d.pop("parents", UNSET))


        def _parse_retries(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        retries = _parse_retries(d.pop("retries", UNSET))


        def _parse_timeout(data: object) -> float | int | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | int | None | str | Unset, data)

        timeout = _parse_timeout(d.pop("timeout", UNSET))


        def _parse_schedule_timeout(data: object) -> float | int | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | int | None | str | Unset, data)

        schedule_timeout = _parse_schedule_timeout(d.pop("schedule_timeout", UNSET))


        def _parse_backoff(data: object) -> Backoff | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                backoff_type_0 = Backoff.from_dict(data)



                return backoff_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Backoff | None | Unset, data)

        backoff = _parse_backoff(d.pop("backoff", UNSET))


        def _parse_priority(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        priority = _parse_priority(d.pop("priority", UNSET))


        def _parse_concurrency(data: object) -> None | StepConcurrency | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                concurrency_type_0 = StepConcurrency.from_dict(data)



                return concurrency_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StepConcurrency | Unset, data)

        concurrency = _parse_concurrency(d.pop("concurrency", UNSET))


        def _parse_slots(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        slots = _parse_slots(d.pop("slots", UNSET))


        def _parse_rate_limits(data: object) -> list[RateLimitUse] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                rate_limits_type_0 = []
                _rate_limits_type_0 = data
                for rate_limits_type_0_item_data in (_rate_limits_type_0):
                    rate_limits_type_0_item = RateLimitUse.from_dict(rate_limits_type_0_item_data)



                    rate_limits_type_0.append(rate_limits_type_0_item)

                return rate_limits_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[RateLimitUse] | None | Unset, data)

        rate_limits = _parse_rate_limits(d.pop("rate_limits", UNSET))


        def _parse_worker_labels(data: object) -> None | StepSpecWorkerLabelsType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                worker_labels_type_0 = StepSpecWorkerLabelsType0.from_dict(data)



                return worker_labels_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StepSpecWorkerLabelsType0 | Unset, data)

        worker_labels = _parse_worker_labels(d.pop("worker_labels", UNSET))


        def _parse_preferred_labels(data: object) -> None | StepSpecPreferredLabelsType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                preferred_labels_type_0 = StepSpecPreferredLabelsType0.from_dict(data)



                return preferred_labels_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StepSpecPreferredLabelsType0 | Unset, data)

        preferred_labels = _parse_preferred_labels(d.pop("preferred_labels", UNSET))


        def _parse_wait(data: object) -> EventWait | None | SleepWait | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                wait_type_0 = EventWait.from_dict(data)



                return wait_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                wait_type_1 = SleepWait.from_dict(data)



                return wait_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EventWait | None | SleepWait | Unset, data)

        wait = _parse_wait(d.pop("wait", UNSET))


        description = d.pop("description", UNSET)

        step_spec = cls(
            name=name,
            action=action,
            parents=parents,
            retries=retries,
            timeout=timeout,
            schedule_timeout=schedule_timeout,
            backoff=backoff,
            priority=priority,
            concurrency=concurrency,
            slots=slots,
            rate_limits=rate_limits,
            worker_labels=worker_labels,
            preferred_labels=preferred_labels,
            wait=wait,
            description=description,
        )

        return step_spec

