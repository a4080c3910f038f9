from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset







T = TypeVar("T", bound="ConcurrencyLimitRequest")



@_attrs_define
class ConcurrencyLimitRequest:
    """ 
        Attributes:
            max_ (int): Tasks of the action assigned or running at once.
     """

    max_: int





    def to_dict(self) -> dict[str, Any]:
        max_ = self.max_


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "max": max_,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        max_ = d.pop("max")

        concurrency_limit_request = cls(
            max_=max_,
        )

        return concurrency_limit_request

