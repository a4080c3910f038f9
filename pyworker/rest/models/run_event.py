from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.run_event_status import RunEventStatus
from ..types import UNSET, Unset
from typing import cast
from uuid import UUID
import datetime






T = TypeVar("T", bound="RunEvent")



@_attrs_define
class RunEvent:
    """ 
        Attributes:
            event_id (UUID):
            task_id (UUID):
            step (str):
            attempt (int):
            kind (str):
            status (RunEventStatus):
            created_at (datetime.datetime):
            data (Any | Unset):
     """

    event_id: UUID
    task_id: UUID
    step: str
    attempt: int
    kind: str
    status: RunEventStatus
    created_at: datetime.datetime
    data: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        event_id = str(self.event_id)

        task_id = str(self.task_id)

        step = self.step

        attempt = self.attempt

        kind = self.kind

        status = self.status.value

        created_at = self.created_at.isoformat()

        data = self.data


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "event_id": event_id,
            "task_id": task_id,
            "step": step,
            "attempt": attempt,
            "kind": kind,
            "status": status,
            "created_at": created_at,
        })
        if data is not UNSET:
            field_dict["data"] = data

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        event_id = UUID(d.pop("event_id"))




        task_id = UUID(d.pop("task_id"))




        step = d.pop("step")

        attempt = d.pop("attempt")

        kind = d.pop("kind")

        status = RunEventStatus(d.pop("status"))




        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        data = d.pop("data", UNSET)

        run_event = cls(
            event_id=event_id,
            task_id=task_id,
            step=step,
            attempt=attempt,
            kind=kind,
            status=status,
            created_at=created_at,
            data=data,
        )


        run_event.additional_properties = d
        return run_event

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
