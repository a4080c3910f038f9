from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
import datetime






T = TypeVar("T", bound="ScheduleRequest")



@_attrs_define
class ScheduleRequest:
    """ 
        Attributes:
            workflow (str):
            run_at (datetime.datetime):
            input_ (Any | Unset):
     """

    workflow: str
    run_at: datetime.datetime
    input_: Any | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        workflow = self.workflow

        run_at = self.run_at.isoformat()

        input_ = self.input_


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "workflow": workflow,
            "run_at": run_at,
        })
        if input_ is not UNSET:
            field_dict["input"] = input_

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        workflow = d.pop("workflow")

        run_at = datetime.datetime.fromisoformat(d.pop("run_at"))




        input_ = d.pop("input", UNSET)

        schedule_request = cls(
            workflow=workflow,
            run_at=run_at,
            input_=input_,
        )

        return schedule_request

