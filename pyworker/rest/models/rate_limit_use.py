from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="RateLimitUse")



@_attrs_define
class RateLimitUse:
    """ 
        Attributes:
            limit (str): A rate limit's name (PUT /v1/rate-limits/{name}).
            units (int | None | Unset): Tokens each claim spends; default 1.
            key (None | str | Unset): CEL over the run input: a bucket per key.
     """

    limit: str
    units: int | None | Unset = UNSET
    key: None | str | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        limit = self.limit

        units: int | None | Unset
        if isinstance(self.units, Unset):
            units = UNSET
        else:
            units = self.units

        key: None | str | Unset
        if isinstance(self.key, Unset):
            key = UNSET
        else:
            key = self.key


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "limit": limit,
        })
        if units is not UNSET:
            field_dict["units"] = units
        if key is not UNSET:
            field_dict["key"] = key

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        limit = d.pop("limit")

        def _parse_units(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        units = _parse_units(d.pop("units", UNSET))


        def _parse_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        key = _parse_key(d.pop("key", UNSET))


        rate_limit_use = cls(
            limit=limit,
            units=units,
            key=key,
        )

        return rate_limit_use

