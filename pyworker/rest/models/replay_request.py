from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.replay_request_start_from import ReplayRequestStartFrom
from ..types import UNSET, Unset






T = TypeVar("T", bound="ReplayRequest")



@_attrs_define
class ReplayRequest:
    """ 
        Attributes:
            start_from (ReplayRequestStartFrom | Unset): failed: keep the steps that succeeded; start: run every step.
                Default: ReplayRequestStartFrom.FAILED.
     """

    start_from: ReplayRequestStartFrom | Unset = ReplayRequestStartFrom.FAILED





    def to_dict(self) -> dict[str, Any]:
        start_from: str | Unset = UNSET
        if not isinstance(self.start_from, Unset):
            start_from = self.start_from.value



        field_dict: dict[str, Any] = {}

        field_dict.update({
        })
        if start_from is not UNSET:
            field_dict["start_from"] = start_from

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        _start_from = d.pop("start_from", UNSET)
        start_from: ReplayRequestStartFrom | Unset
        if isinstance(_start_from,  Unset):
            start_from = UNSET
        else:
            start_from = ReplayRequestStartFrom(_start_from)




        replay_request = cls(
            start_from=start_from,
        )

        return replay_request

