from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="FilterRequest")



@_attrs_define
class FilterRequest:
    """ 
        Attributes:
            workflow (str):
            expression (str): CEL over key, payload and metadata.
            scope (None | str | Unset):
     """

    workflow: str
    expression: str
    scope: None | str | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        workflow = self.workflow

        expression = self.expression

        scope: None | str | Unset
        if isinstance(self.scope, Unset):
            scope = UNSET
        else:
            scope = self.scope


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "workflow": workflow,
            "expression": expression,
        })
        if scope is not UNSET:
            field_dict["scope"] = scope

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        workflow = d.pop("workflow")

        expression = d.pop("expression")

        def _parse_scope(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        scope = _parse_scope(d.pop("scope", UNSET))


        filter_request = cls(
            workflow=workflow,
            expression=expression,
            scope=scope,
        )

        return filter_request

