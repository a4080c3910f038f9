from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
from uuid import UUID
import datetime






T = TypeVar("T", bound="VersionSummary")



@_attrs_define
class VersionSummary:
    """ 
        Attributes:
            version (int):
            version_id (UUID):
            is_current (bool):
            checksum (str):
            steps (int):
            active_runs (int): Runs of this version still queued or running.
            created_at (datetime.datetime):
     """

    version: int
    version_id: UUID
    is_current: bool
    checksum: str
    steps: int
    active_runs: int
    created_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        version = self.version

        version_id = str(self.version_id)

        is_current = self.is_current

        checksum = self.checksum

        steps = self.steps

        active_runs = self.active_runs

        created_at = self.created_at.isoformat()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "version": version,
            "version_id": version_id,
            "is_current": is_current,
            "checksum": checksum,
            "steps": steps,
            "active_runs": active_runs,
            "created_at": created_at,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        version = d.pop("version")

        version_id = UUID(d.pop("version_id"))




        is_current = d.pop("is_current")

        checksum = d.pop("checksum")

        steps = d.pop("steps")

        active_runs = d.pop("active_runs")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        version_summary = cls(
            version=version,
            version_id=version_id,
            is_current=is_current,
            checksum=checksum,
            steps=steps,
            active_runs=active_runs,
            created_at=created_at,
        )


        version_summary.additional_properties = d
        return version_summary

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
