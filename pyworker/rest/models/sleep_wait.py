from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast






T = TypeVar("T", bound="SleepWait")



@_attrs_define
class SleepWait:
    """ 
        Attributes:
            sleep (float | int | str):
     """

    sleep: float | int | str





    def to_dict(self) -> dict[str, Any]:
        sleep: float | int | str
        sleep = self.sleep


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "sleep": sleep,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        def _parse_sleep(data: object) -> float | int | str:
            return cast(float | int | str, data)

        sleep = _parse_sleep(d.pop("sleep"))


        sleep_wait = cls(
            sleep=sleep,
        )

        return sleep_wait

