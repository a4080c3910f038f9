from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.child_run_status import ChildRunStatus
from ..types import UNSET, Unset
from typing import cast
from uuid import UUID
import datetime

if TYPE_CHECKING:
  from ..models.child_run_metadata import ChildRunMetadata





T = TypeVar("T", bound="ChildRun")



@_attrs_define
class ChildRun:
    """ 
        Attributes:
            run_id (UUID):
            parent_run_id (UUID):
            workflow (str):
            status (ChildRunStatus):
            metadata (ChildRunMetadata):
            created_at (datetime.datetime):
            parent_task_id (None | Unset | UUID):
            child_key (None | str | Unset):
            finished_at (datetime.datetime | None | Unset):
     """

    run_id: UUID
    parent_run_id: UUID
    workflow: str
    status: ChildRunStatus
    metadata: ChildRunMetadata
    created_at: datetime.datetime
    parent_task_id: None | Unset | UUID = UNSET
    child_key: None | str | Unset = UNSET
    finished_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.child_run_metadata import ChildRunMetadata # noqa: PLC0415
        run_id = str(self.run_id)

        parent_run_id = str(self.parent_run_id)

        workflow = self.workflow

        status = self.status.value

        metadata = self.metadata.to_dict()

        created_at = self.created_at.isoformat()

        parent_task_id: None | str | Unset
        if isinstance(self.parent_task_id, Unset):
            parent_task_id = UNSET
        elif isinstance(self.parent_task_id, UUID):
            parent_task_id = str(self.parent_task_id)
        else:
            parent_task_id = self.parent_task_id

        child_key: None | str | Unset
        if isinstance(self.child_key, Unset):
            child_key = UNSET
        else:
            child_key = self.child_key

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        elif isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "run_id": run_id,
            "parent_run_id": parent_run_id,
            "workflow": workflow,
            "status": status,
            "metadata": metadata,
            "created_at": created_at,
        })
        if parent_task_id is not UNSET:
            field_dict["parent_task_id"] = parent_task_id
        if child_key is not UNSET:
            field_dict["child_key"] = child_key
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.child_run_metadata import ChildRunMetadata # noqa: PLC0415
        d = dict(src_dict)
        run_id = UUID(d.pop("run_id"))




        parent_run_id = UUID(d.pop("parent_run_id"))




        workflow = d.pop("workflow")

        status = ChildRunStatus(d.pop("status"))




        metadata = ChildRunMetadata.from_dict(d.pop("metadata"))




        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        def _parse_parent_task_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                parent_task_id_type_0 = UUID(data)



                return parent_task_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        parent_task_id = _parse_parent_task_id(d.pop("parent_task_id", UNSET))


        def _parse_child_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        child_key = _parse_child_key(d.pop("child_key", UNSET))


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


        child_run = cls(
            run_id=run_id,
            parent_run_id=parent_run_id,
            workflow=workflow,
            status=status,
            metadata=metadata,
            created_at=created_at,
            parent_task_id=parent_task_id,
            child_key=child_key,
            finished_at=finished_at,
        )


        child_run.additional_properties = d
        return child_run

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
