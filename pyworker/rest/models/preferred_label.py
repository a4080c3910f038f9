from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="PreferredLabel")



@_attrs_define
class PreferredLabel:
    """ 
        Attributes:
            value (str): The label's value a worker should have (1 to 256 characters).
            weight (int | None | Unset): 1 to 100 (default 1): its share of the step's preferred labels' weight.
     """

    value: str
    weight: int | None | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        value = self.value

        weight: int | None | Unset
        if isinstance(self.weight, Unset):
            weight = UNSET
        else:
            weight = self.weight


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "value": value,
        })
        if weight is not UNSET:
            field_dict["weight"] = weight

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        value = d.pop("value")

        def _parse_weight(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        weight = _parse_weight(d.pop("weight", UNSET))


        preferred_label = cls(
            value=value,
            weight=weight,
        )

        return preferred_label

