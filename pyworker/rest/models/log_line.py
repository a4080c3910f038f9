from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.log_line_level import LogLineLevel
from typing import cast
from uuid import UUID
import datetime






T = TypeVar("T", bound="LogLine")



@_attrs_define
class LogLine:
    """ 
        Attributes:
            log_id (UUID):
            task_id (UUID):
            step (str):
            attempt (int):
            level (LogLineLevel):
            message (str):
            logged_at (datetime.datetime): The worker's time of the line.
            written_at (datetime.datetime): The server's time of writing.
     """

    log_id: UUID
    task_id: UUID
    step: str
    attempt: int
    level: LogLineLevel
    message: str
    logged_at: datetime.datetime
    written_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        log_id = str(self.log_id)

        task_id = str(self.task_id)

        step = self.step

        attempt = self.attempt

        level = self.level.value

        message = self.message

        logged_at = self.logged_at.isoformat()

        written_at = self.written_at.isoformat()


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "log_id": log_id,
            "task_id": task_id,
            "step": step,
            "attempt": attempt,
            "level": level,
            "message": message,
            "logged_at": logged_at,
            "written_at": written_at,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        log_id = UUID(d.pop("log_id"))




        task_id = UUID(d.pop("task_id"))




        step = d.pop("step")

        attempt = d.pop("attempt")

        level = LogLineLevel(d.pop("level"))




        message = d.pop("message")

        logged_at = datetime.datetime.fromisoformat(d.pop("logged_at"))




        written_at = datetime.datetime.fromisoformat(d.pop("written_at"))




        log_line = cls(
            log_id=log_id,
            task_id=task_id,
            step=step,
            attempt=attempt,
            level=level,
            message=message,
            logged_at=logged_at,
            written_at=written_at,
        )


        log_line.additional_properties = d
        return log_line

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
