from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.step_stats import StepStats





T = TypeVar("T", bound="StepStatsPage")



@_attrs_define
class StepStatsPage:
    """ 
        Attributes:
            workflow (str):
            since (datetime.datetime):
            until (datetime.datetime):
            steps (list[StepStats]):
     """

    workflow: str
    since: datetime.datetime
    until: datetime.datetime
    steps: list[StepStats]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.step_stats import StepStats # noqa: PLC0415
        workflow = self.workflow

        since = self.since.isoformat()

        until = self.until.isoformat()

        steps = []
        for steps_item_data in self.steps:
            steps_item = steps_item_data.to_dict()
            steps.append(steps_item)




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "workflow": workflow,
            "since": since,
            "until": until,
            "steps": steps,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.step_stats import StepStats # noqa: PLC0415
        d = dict(src_dict)
        workflow = d.pop("workflow")

        since = datetime.datetime.fromisoformat(d.pop("since"))




        until = datetime.datetime.fromisoformat(d.pop("until"))




        steps = []
        _steps = d.pop("steps")
        for steps_item_data in (_steps):
            steps_item = StepStats.from_dict(steps_item_data)



            steps.append(steps_item)


        step_stats_page = cls(
            workflow=workflow,
            since=since,
            until=until,
            steps=steps,
        )


        step_stats_page.additional_properties = d
        return step_stats_page

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
