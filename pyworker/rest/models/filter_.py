from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
from uuid import UUID
import datetime






T = TypeVar("T", bound="Filter")



@_attrs_define
class Filter:
    """ 
        Attributes:
            filter_id (UUID):
            workflow (str):
            expression (str):
            version (int):
            updated_at (datetime.datetime):
            scope (None | str | Unset):
            error (None | str | Unset): The CEL error the router found.
     """

    filter_id: UUID
    workflow: str
    expression: str
    version: int
    updated_at: datetime.datetime
    scope: None | str | Unset = UNSET
    error: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        filter_id = str(self.filter_id)

        workflow = self.workflow

        expression = self.expression

        version = self.version

        updated_at = self.updated_at.isoformat()

        scope: None | str | Unset
        if isinstance(self.scope, Unset):
            scope = UNSET
        else:
            scope = self.scope

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "filter_id": filter_id,
            "workflow": workflow,
            "expression": expression,
            "version": version,
            "updated_at": updated_at,
        })
        if scope is not UNSET:
            field_dict["scope"] = scope
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        filter_id = UUID(d.pop("filter_id"))




        workflow = d.pop("workflow")

        expression = d.pop("expression")

        version = d.pop("version")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))




        def _parse_scope(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        scope = _parse_scope(d.pop("scope", UNSET))


        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))


        filter_ = cls(
            filter_id=filter_id,
            workflow=workflow,
            expression=expression,
            version=version,
            updated_at=updated_at,
            scope=scope,
            error=error,
        )


        filter_.additional_properties = d
        return filter_

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
