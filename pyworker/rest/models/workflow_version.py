from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
from uuid import UUID
import datetime

if TYPE_CHECKING:
  from ..models.workflow_spec import WorkflowSpec





T = TypeVar("T", bound="WorkflowVersion")



@_attrs_define
class WorkflowVersion:
    """ 
        Attributes:
            name (str):
            version (int):
            version_id (UUID):
            is_current (bool):
            current_version (int):
            checksum (str):
            spec (WorkflowSpec): A workflow's spec; every field is checked by hewer.workflow_register.
            created_at (datetime.datetime):
     """

    name: str
    version: int
    version_id: UUID
    is_current: bool
    current_version: int
    checksum: str
    spec: WorkflowSpec
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.workflow_spec import WorkflowSpec # noqa: PLC0415
        name = self.name

        version = self.version

        version_id = str(self.version_id)

        is_current = self.is_current

        current_version = self.current_version

        checksum = self.checksum

        spec = self.spec.to_dict()

        created_at = self.created_at.isoformat()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "name": name,
            "version": version,
            "version_id": version_id,
            "is_current": is_current,
            "current_version": current_version,
            "checksum": checksum,
            "spec": spec,
            "created_at": created_at,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.workflow_spec import WorkflowSpec # noqa: PLC0415
        d = dict(src_dict)
        name = d.pop("name")

        version = d.pop("version")

        version_id = UUID(d.pop("version_id"))




        is_current = d.pop("is_current")

        current_version = d.pop("current_version")

        checksum = d.pop("checksum")

        spec = WorkflowSpec.from_dict(d.pop("spec"))




        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        workflow_version = cls(
            name=name,
            version=version,
            version_id=version_id,
            is_current=is_current,
            current_version=current_version,
            checksum=checksum,
            spec=spec,
            created_at=created_at,
        )


        workflow_version.additional_properties = d
        return workflow_version

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
