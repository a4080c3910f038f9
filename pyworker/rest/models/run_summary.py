from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.run_summary_status import RunSummaryStatus
from ..types import UNSET, Unset
from typing import cast
from uuid import UUID
import datetime

if TYPE_CHECKING:
  from ..models.run_summary_metadata import RunSummaryMetadata
  from ..models.run_summary_tasks import RunSummaryTasks





T = TypeVar("T", bound="RunSummary")



@_attrs_define
class RunSummary:
    """ 
        Attributes:
            run_id (UUID):
            workflow (str):
            version (int):
            status (RunSummaryStatus):
            priority (int):
            input_ (Any):
            tasks (RunSummaryTasks): The run's tasks, counted by status.
            created_at (datetime.datetime):
            metadata (RunSummaryMetadata):
            error (Any | Unset):
            replay_of (None | Unset | UUID):
            started_at (datetime.datetime | None | Unset):
            finished_at (datetime.datetime | None | Unset):
     """

    run_id: UUID
    workflow: str
    version: int
    status: RunSummaryStatus
    priority: int
    input_: Any
    tasks: RunSummaryTasks
    created_at: datetime.datetime
    metadata: RunSummaryMetadata
    error: Any | Unset = UNSET
    replay_of: None | Unset | UUID = UNSET
    started_at: datetime.datetime | None | Unset = UNSET
    finished_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.run_summary_metadata import RunSummaryMetadata # noqa: PLC0415
        from ..models.run_summary_tasks import RunSummaryTasks # noqa: PLC0415
        run_id = str(self.run_id)

        workflow = self.workflow

        version = self.version

        status = self.status.value

        priority = self.priority

        input_ = self.input_

        tasks = self.tasks.to_dict()

        created_at = self.created_at.isoformat()

        metadata = self.metadata.to_dict()

        error = self.error

        replay_of: None | str | Unset
        if isinstance(self.replay_of, Unset):
            replay_of = UNSET
        elif isinstance(self.replay_of, UUID):
            replay_of = str(self.replay_of)
        else:
            replay_of = self.replay_of

        started_at: None | str | Unset
        if isinstance(self.started_at, Unset):
            started_at = UNSET
        elif isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        elif isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "run_id": run_id,
            "workflow": workflow,
            "version": version,
            "status": status,
            "priority": priority,
            "input": input_,
            "tasks": tasks,
            "created_at": created_at,
            "metadata": metadata,
        })
        if error is not UNSET:
            field_dict["error"] = error
        if replay_of is not UNSET:
            field_dict["replay_of"] = replay_of
        if started_at is not UNSET:
            field_dict["started_at"] = started_at
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.run_summary_metadata import RunSummaryMetadata # noqa: PLC0415
        from ..models.run_summary_tasks import RunSummaryTasks # noqa: PLC0415
        d = dict(src_dict)
        run_id = UUID(d.pop("run_id"))




        workflow = d.pop("workflow")

        version = d.pop("version")

        status = RunSummaryStatus(d.pop("status"))




        priority = d.pop("priority")

        input_ = d.pop("input")

        tasks = RunSummaryTasks.from_dict(d.pop("tasks"))




        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        metadata = RunSummaryMetadata.from_dict(d.pop("metadata"))




        error = d.pop("error", UNSET)

        def _parse_replay_of(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                replay_of_type_0 = UUID(data)



                return replay_of_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        replay_of = _parse_replay_of(d.pop("replay_of", UNSET))


        def _parse_started_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)



                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        started_at = _parse_started_at(d.pop("started_at", UNSET))


        def _parse_finished_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)



                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        finished_at = _parse_finished_at(d.pop("finished_at", UNSET))


        run_summary = cls(
            run_id=run_id,
            workflow=workflow,
            version=version,
            status=status,
            priority=priority,
            input_=input_,
            tasks=tasks,
            created_at=created_at,
            metadata=metadata,
            error=error,
            replay_of=replay_of,
            started_at=started_at,
            finished_at=finished_at,
        )


        run_summary.additional_properties = d
        return run_summary

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
