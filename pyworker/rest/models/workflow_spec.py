from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.workflow_spec_sticky_type_0 import WorkflowSpecStickyType0
from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.cron_trigger import CronTrigger
  from ..models.step_spec import StepSpec
  from ..models.workflow_concurrency import WorkflowConcurrency





T = TypeVar("T", bound="WorkflowSpec")



@_attrs_define
class WorkflowSpec:
    """ A workflow's spec; every field is checked by hewer.workflow_register.

        Attributes:
            steps (list[StepSpec]):
            priority (int | None | Unset):
            concurrency (None | Unset | WorkflowConcurrency):
            description (Any | Unset):
            on_events (list[str] | None | Unset): Event key patterns.
            cron (list[CronTrigger | str] | None | Unset):
            sticky (None | Unset | WorkflowSpecStickyType0): The run's tasks go to the worker that claimed its first task:
                soft, others may claim a task that waited 2 s; hard, only that worker while it is active or draining
                (docs/affinity.md).
     """

    steps: list[StepSpec]
    priority: int | None | Unset = UNSET
    concurrency: None | Unset | WorkflowConcurrency = UNSET
    description: Any | Unset = UNSET
    on_events: list[str] | None | Unset = UNSET
    cron: list[CronTrigger | str] | None | Unset = UNSET
    sticky: None | Unset | WorkflowSpecStickyType0 = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.cron_trigger import CronTrigger # noqa: PLC0415
        from ..models.step_spec import StepSpec # noqa: PLC0415
        from ..models.workflow_concurrency import WorkflowConcurrency # noqa: PLC0415
        steps = []
        for steps_item_data in self.steps:
            steps_item = steps_item_data.to_dict()
            steps.append(steps_item)



        priority: int | None | Unset
        if isinstance(self.priority, Unset):
            priority = UNSET
        else:
            priority = self.priority

        concurrency: dict[str, Any] | None | Unset
        if isinstance(self.concurrency, Unset):
            concurrency = UNSET
        elif isinstance(self.concurrency, WorkflowConcurrency):
            concurrency = self.concurrency.to_dict()
        else:
            concurrency = self.concurrency

        description = self.description

        on_events: list[str] | None | Unset
        if isinstance(self.on_events, Unset):
            on_events = UNSET
        elif isinstance(self.on_events, list):
            on_events = self.on_events


        else:
            on_events = self.on_events

        cron: list[dict[str, Any] | str] | None | Unset
        if isinstance(self.cron, Unset):
            cron = UNSET
        elif isinstance(self.cron, list):
            cron = []
            for cron_type_0_item_data in self.cron:
                cron_type_0_item: dict[str, Any] | str
                if isinstance(cron_type_0_item_data, CronTrigger):
                    cron_type_0_item = cron_type_0_item_data.to_dict()
                else:
                    cron_type_0_item = cron_type_0_item_data
                cron.append(cron_type_0_item)


        else:
            cron = self.cron

        sticky: None | str | Unset
        if isinstance(self.sticky, Unset):
            sticky = UNSET
        elif isinstance(self.sticky, WorkflowSpecStickyType0):
            sticky = self.sticky.value
        else:
            sticky = self.sticky


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "steps": steps,
        })
        if priority is not UNSET:
            field_dict["priority"] = priority
        if concurrency is not UNSET:
            field_dict["concurrency"] = concurrency
        if description is not UNSET:
            field_dict["description"] = description
        if on_events is not UNSET:
            field_dict["on_events"] = on_events
        if cron is not UNSET:
            field_dict["cron"] = cron
        if sticky is not UNSET:
            field_dict["sticky"] = sticky

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.cron_trigger import CronTrigger # noqa: PLC0415
        from ..models.step_spec import StepSpec # noqa: PLC0415
        from ..models.workflow_concurrency import WorkflowConcurrency # noqa: PLC0415
        d = dict(src_dict)
        steps = []
        _steps = d.pop("steps")
        for steps_item_data in (_steps):
            steps_item = StepSpec.from_dict(steps_item_data)



            steps.append(steps_item)


        def _parse_priority(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        priority = _parse_priority(d.pop("priority", UNSET))


        def _parse_concurrency(data: object) -> None | Unset | WorkflowConcurrency:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                concurrency_type_0 = WorkflowConcurrency.from_dict(data)



                return concurrency_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | WorkflowConcurrency, data)

        concurrency = _parse_concurrency(d.pop("concurrency", UNSET))


        description = d.pop("description", UNSET)

        def _parse_on_events(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                on_events_type_0 = cast(list[str], data)

                return on_events_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        on_events = _parse_on_events(d.pop("on_events", UNSET))


        def _parse_cron(data: object) -> list[CronTrigger | str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                cron_type_0 = []
                _cron_type_0 = data
                for cron_type_0_item_data in (_cron_type_0):
                    def _parse_cron_type_0_item(data: object) -> CronTrigger | str:
                        try:
                            if not isinstance(data, dict):
                                raise TypeError()
                            cron_type_0_item_type_1 = CronTrigger.from_dict(data)



                            return cron_type_0_item_type_1
                        except (TypeError, ValueError, AttributeError, KeyError):
                            pass
                        return cast(CronTrigger | str, data)

                    cron_type_0_item = _parse_cron_type_0_item(cron_type_0_item_data)

                    cron_type_0.append(cron_type_0_item)

                return cron_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[CronTrigger | str] | None | Unset, data)

        cron = _parse_cron(d.pop("cron", UNSET))


        def _parse_sticky(data: object) -> None | Unset | WorkflowSpecStickyType0:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                sticky_type_0 = WorkflowSpecStickyType0(data)



                return sticky_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | WorkflowSpecStickyType0, data)

        sticky = _parse_sticky(d.pop("sticky", UNSET))


        workflow_spec = cls(
            steps=steps,
            priority=priority,
            concurrency=concurrency,
            description=description,
            on_events=on_events,
            cron=cron,
            sticky=sticky,
        )

        return workflow_spec

