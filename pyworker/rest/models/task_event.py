from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.task_event_status import TaskEventStatus
from ..types import UNSET, Unset
from typing import cast
from uuid import UUID
import datetime






T = TypeVar("T", bound="TaskEvent")



@_attrs_define
class TaskEvent:
    """ 
        Attributes:
            attempt (int):
            kind (str):
            status (TaskEventStatus):
            created_at (datetime.datetime):
            worker_id (None | Unset | UUID):
            data (Any | Unset):
     """

    attempt: int
    kind: str
    status: TaskEventStatus
    created_at: datetime.datetime
    worker_id: None | Unset | UUID = UNSET
    data: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        attempt = self.attempt

        kind = self.kind

        status = self.status.value

        created_at = self.created_at.isoformat()

        worker_id: None | str | Unset
        if isinstance(self.worker_id, Unset):
            worker_id = UNSET
        elif isinstance(self.worker_id, UUID):
            worker_id = str(self.worker_id)
        else:
            worker_id = self.worker_id

        data = self.data


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "attempt": attempt,
            "kind": kind,
            "status": status,
            "created_at": created_at,
        })
        if worker_id is not UNSET:
            field_dict["worker_id"] = worker_id
        if data is not UNSET:
            field_dict["data"] = data

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        attempt = d.pop("attempt")

        kind = d.pop("kind")

        status = TaskEventStatus(d.pop("status"))




        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




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


        data = d.pop("data", UNSET)

        task_event = cls(
            attempt=attempt,
            kind=kind,
            status=status,
            created_at=created_at,
            worker_id=worker_id,
            data=data,
        )


        task_event.additional_properties = d
        return task_event

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
