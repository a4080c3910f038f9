from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
from uuid import UUID
import datetime






T = TypeVar("T", bound="Schedule")



@_attrs_define
class Schedule:
    """ 
        Attributes:
            schedule_id (UUID):
            workflow (str):
            input_ (Any):
            run_at (datetime.datetime):
            created_at (datetime.datetime):
            run_id (None | Unset | UUID): Set once the run started.
     """

    schedule_id: UUID
    workflow: str
    input_: Any
    run_at: datetime.datetime
    created_at: datetime.datetime
    run_id: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        schedule_id = str(self.schedule_id)

        workflow = self.workflow

        input_ = self.input_

        run_at = self.run_at.isoformat()

        created_at = self.created_at.isoformat()

        run_id: None | str | Unset
        if isinstance(self.run_id, Unset):
            run_id = UNSET
        elif isinstance(self.run_id, UUID):
            run_id = str(self.run_id)
        else:
            run_id = self.run_id


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "schedule_id": schedule_id,
            "workflow": workflow,
            "input": input_,
            "run_at": run_at,
            "created_at": created_at,
        })
        if run_id is not UNSET:
            field_dict["run_id"] = run_id

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        schedule_id = UUID(d.pop("schedule_id"))




        workflow = d.pop("workflow")

        input_ = d.pop("input")

        run_at = datetime.datetime.fromisoformat(d.pop("run_at"))




        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        def _parse_run_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                run_id_type_0 = UUID(data)



                return run_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        run_id = _parse_run_id(d.pop("run_id", UNSET))


        schedule = cls(
            schedule_id=schedule_id,
            workflow=workflow,
            input_=input_,
            run_at=run_at,
            created_at=created_at,
            run_id=run_id,
        )


        schedule.additional_properties = d
        return schedule

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
