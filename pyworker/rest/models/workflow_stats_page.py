from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast
import datetime

if TYPE_CHECKING:
  from ..models.workflow_stats import WorkflowStats





T = TypeVar("T", bound="WorkflowStatsPage")



@_attrs_define
class WorkflowStatsPage:
    """ 
        Attributes:
            since (datetime.datetime):
            until (datetime.datetime):
            workflows (list[WorkflowStats]):
     """

    since: datetime.datetime
    until: datetime.datetime
    workflows: list[WorkflowStats]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.workflow_stats import WorkflowStats # noqa: PLC0415
        since = self.since.isoformat()

        until = self.until.isoformat()

        workflows = []
        for workflows_item_data in self.workflows:
            workflows_item = workflows_item_data.to_dict()
            workflows.append(workflows_item)




        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "since": since,
            "until": until,
            "workflows": workflows,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.workflow_stats import WorkflowStats # noqa: PLC0415
        d = dict(src_dict)
        since = datetime.datetime.fromisoformat(d.pop("since"))




        until = datetime.datetime.fromisoformat(d.pop("until"))




        workflows = []
        _workflows = d.pop("workflows")
        for workflows_item_data in (_workflows):
            workflows_item = WorkflowStats.from_dict(workflows_item_data)



            workflows.append(workflows_item)


        workflow_stats_page = cls(
            since=since,
            until=until,
            workflows=workflows,
        )


        workflow_stats_page.additional_properties = d
        return workflow_stats_page

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
