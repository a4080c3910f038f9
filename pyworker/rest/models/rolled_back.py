from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from uuid import UUID






T = TypeVar("T", bound="RolledBack")



@_attrs_define
class RolledBack:
    """ 
        Attributes:
            workflow_id (UUID):
            version_id (UUID):
            version (int):
            previous_version (int):
     """

    workflow_id: UUID
    version_id: UUID
    version: int
    previous_version: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        workflow_id = str(self.workflow_id)

        version_id = str(self.version_id)

        version = self.version

        previous_version = self.previous_version


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "workflow_id": workflow_id,
            "version_id": version_id,
            "version": version,
            "previous_version": previous_version,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        workflow_id = UUID(d.pop("workflow_id"))




        version_id = UUID(d.pop("version_id"))




        version = d.pop("version")

        previous_version = d.pop("previous_version")

        rolled_back = cls(
            workflow_id=workflow_id,
            version_id=version_id,
            version=version,
            previous_version=previous_version,
        )


        rolled_back.additional_properties = d
        return rolled_back

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
