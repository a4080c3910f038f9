from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.cancelled import Cancelled





T = TypeVar("T", bound="CancelledMany")



@_attrs_define
class CancelledMany:
    """ 
        Attributes:
            cancelled (int): Runs this call cancelled.
            runs (list[Cancelled]):
     """

    cancelled: int
    runs: list[Cancelled]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.cancelled import Cancelled # noqa: PLC0415
        cancelled = self.cancelled

        runs = []
        for runs_item_data in self.runs:
            runs_item = runs_item_data.to_dict()
            runs.append(runs_item)




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "cancelled": cancelled,
            "runs": runs,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.cancelled import Cancelled # noqa: PLC0415
        d = dict(src_dict)
        cancelled = d.pop("cancelled")

        runs = []
        _runs = d.pop("runs")
        for runs_item_data in (_runs):
            runs_item = Cancelled.from_dict(runs_item_data)



            runs.append(runs_item)


        cancelled_many = cls(
            cancelled=cancelled,
            runs=runs,
        )


        cancelled_many.additional_properties = d
        return cancelled_many

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
