from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.concurrency_limit_scope import ConcurrencyLimitScope






T = TypeVar("T", bound="ConcurrencyLimit")



@_attrs_define
class ConcurrencyLimit:
    """ 
        Attributes:
            scope (ConcurrencyLimitScope):
            name (str):
            max_running (int):
            running (int):
     """

    scope: ConcurrencyLimitScope
    name: str
    max_running: int
    running: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        scope = self.scope.value

        name = self.name

        max_running = self.max_running

        running = self.running


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "scope": scope,
            "name": name,
            "max_running": max_running,
            "running": running,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        scope = ConcurrencyLimitScope(d.pop("scope"))




        name = d.pop("name")

        max_running = d.pop("max_running")

        running = d.pop("running")

        concurrency_limit = cls(
            scope=scope,
            name=name,
            max_running=max_running,
            running=running,
        )


        concurrency_limit.additional_properties = d
        return concurrency_limit

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
