from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.task_status import TaskStatus
from ..types import UNSET, Unset
from typing import cast
from uuid import UUID
import datetime






T = TypeVar("T", bound="Task")



@_attrs_define
class Task:
    """ 
        Attributes:
            task_id (UUID):
            step (str):
            action (str):
            status (TaskStatus):
            attempt (int):
            max_attempts (int):
            output (Any | Unset):
            error (Any | Unset):
            worker_id (None | Unset | UUID):
            queued_at (datetime.datetime | None | Unset):
            started_at (datetime.datetime | None | Unset):
            finished_at (datetime.datetime | None | Unset):
            cancel_requested (bool | Unset):  Default: False.
            served (bool | None | Unset): A queued task: whether a live worker serves its action (false: it waits for one
                that may never come).
     """

    task_id: UUID
    step: str
    action: str
    status: TaskStatus
    attempt: int
    max_attempts: int
    output: Any | Unset = UNSET
    error: Any | Unset = UNSET
    worker_id: None | Unset | UUID = UNSET
    queued_at: datetime.datetime | None | Unset = UNSET
    started_at: datetime.datetime | None | Unset = UNSET
    finished_at: datetime.datetime | None | Unset = UNSET
    cancel_requested: bool | Unset = False
    served: bool | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        task_id = str(self.task_id)

        step = self.step

        action = self.action

        status = self.status.value

        attempt = self.attempt

        max_attempts = self.max_attempts

        output = self.output

        error = self.error

        worker_id: None | str | Unset
        if isinstance(self.worker_id, Unset):
            worker_id = UNSET
        elif isinstance(self.worker_id, UUID):
            worker_id = str(self.worker_id)
        else:
            worker_id = self.worker_id

        queued_at: None | str | Unset
        if isinstance(self.queued_at, Unset):
            queued_at = UNSET
        elif isinstance(self.queued_at, datetime.datetime):
            queued_at = self.queued_at.isoformat()
        else:
            queued_at = self.queued_at

        started_at: None | str | Unset
        if isinstance(self.started_at, Unset):
            started_at = UNSET
        elif isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        elif isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        cancel_requested = self.cancel_requested

        served: bool | None | Unset
        if isinstance(self.served, Unset):
            served = UNSET
        else:
            served = self.served


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "task_id": task_id,
            "step": step,
            "action": action,
            "status": status,
            "attempt": attempt,
            "max_attempts": max_attempts,
        })
        if output is not UNSET:
            field_dict["output"] = output
        if error is not UNSET:
            field_dict["error"] = error
        if worker_id is not UNSET:
            field_dict["worker_id"] = worker_id
        if queued_at is not UNSET:
            field_dict["queued_at"] = queued_at
        if started_at is not UNSET:
            field_dict["started_at"] = started_at
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at
        if cancel_requested is not UNSET:
            field_dict["cancel_requested"] = cancel_requested
        if served is not UNSET:
            field_dict["served"] = served

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        task_id = UUID(d.pop("task_id"))




        step = d.pop("step")

        action = d.pop("action")

        status = TaskStatus(d.pop("status"))




        attempt = d.pop("attempt")

        max_attempts = d.pop("max_attempts")

        output = d.pop("output", UNSET)

        error = d.pop("error", UNSET)

        def _parse_worker_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                worker_id_type_0 = UUID(data)



                return worker_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        worker_id = _parse_worker_id(d.pop("worker_id", UNSET))


        def _parse_queued_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                queued_at_type_0 = datetime.datetime.fromisoformat(data)



                return queued_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        queued_at = _parse_queued_at(d.pop("queued_at", UNSET))


        def _parse_started_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)



                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        started_at = _parse_started_at(d.pop("started_at", UNSET))


        def _parse_finished_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)



                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        finished_at = _parse_finished_at(d.pop("finished_at", UNSET))


        cancel_requested = d.pop("cancel_requested", UNSET)

        def _parse_served(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        served = _parse_served(d.pop("served", UNSET))


        task = cls(
            task_id=task_id,
            step=step,
            action=action,
            status=status,
            attempt=attempt,
            max_attempts=max_attempts,
            output=output,
            error=error,
            worker_id=worker_id,
            queued_at=queued_at,
            started_at=started_at,
            finished_at=finished_at,
            cancel_requested=cancel_requested,
            served=served,
        )


        task.additional_properties = d
        return task

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
