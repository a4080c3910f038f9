from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.worker_status import WorkerStatus
from ..types import UNSET, Unset
from typing import cast
from uuid import UUID
import datetime

if TYPE_CHECKING:
  from ..models.worker_labels import WorkerLabels





T = TypeVar("T", bound="Worker")



@_attrs_define
class Worker:
    """ 
        Attributes:
            worker_id (UUID):
            name (str):
            actions (list[str]):
            slots (int):
            labels (WorkerLabels):
            status (WorkerStatus):
            registered_at (datetime.datetime):
            last_heartbeat_at (datetime.datetime):
            held_task_ids (list[UUID]): Tasks assigned to it or running on it.
            sdk_version (None | str | Unset):
     """

    worker_id: UUID
    name: str
    actions: list[str]
    slots: int
    labels: WorkerLabels
    status: WorkerStatus
    registered_at: datetime.datetime
    last_heartbeat_at: datetime.datetime
    held_task_ids: list[UUID]
    sdk_version: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.worker_labels import WorkerLabels # noqa: PLC0415
        worker_id = str(self.worker_id)

        name = self.name

        actions = self.actions



        slots = self.slots

        labels = self.labels.to_dict()

        status = self.status.value

        registered_at = self.registered_at.isoformat()

        last_heartbeat_at = self.last_heartbeat_at.isoformat()

        held_task_ids = []
        for held_task_ids_item_data in self.held_task_ids:
            held_task_ids_item = str(held_task_ids_item_data)
            held_task_ids.append(held_task_ids_item)



        sdk_version: None | str | Unset
        if isinstance(self.sdk_version, Unset):
            sdk_version = UNSET
        else:
            sdk_version = self.sdk_version


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "worker_id": worker_id,
            "name": name,
            "actions": actions,
            "slots": slots,
            "labels": labels,
            "status": status,
            "registered_at": registered_at,
            "last_heartbeat_at": last_heartbeat_at,
            "held_task_ids": held_task_ids,
        })
        if sdk_version is not UNSET:
            field_dict["sdk_version"] = sdk_version

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.worker_labels import WorkerLabels # noqa: PLC0415
        d = dict(src_dict)
        worker_id = UUID(d.pop("worker_id"))




        name = d.pop("name")

        actions = cast(list[str], d.pop("actions"))


        slots = d.pop("slots")

        labels = WorkerLabels.from_dict(d.pop("labels"))




        status = WorkerStatus(d.pop("status"))




        registered_at = datetime.datetime.fromisoformat(d.pop("registered_at"))




        last_heartbeat_at = datetime.datetime.fromisoformat(d.pop("last_heartbeat_at"))




        held_task_ids = []
        _held_task_ids = d.pop("held_task_ids")
        for held_task_ids_item_data in (_held_task_ids):
            held_task_ids_item = UUID(held_task_ids_item_data)



            held_task_ids.append(held_task_ids_item)


        def _parse_sdk_version(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        sdk_version = _parse_sdk_version(d.pop("sdk_version", UNSET))


        worker = cls(
            worker_id=worker_id,
            name=name,
            actions=actions,
            slots=slots,
            labels=labels,
            status=status,
            registered_at=registered_at,
            last_heartbeat_at=last_heartbeat_at,
            held_task_ids=held_task_ids,
            sdk_version=sdk_version,
        )


        worker.additional_properties = d
        return worker

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
