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






T = TypeVar("T", bound="EventMatch")



@_attrs_define
class EventMatch:
    """ 
        Attributes:
            created_at (datetime.datetime):
            workflow (None | str | Unset):
            filter_id (None | Unset | UUID):
            filter_version (int | None | Unset):
            run_id (None | Unset | UUID): The run the event started.
            error (None | str | Unset): Why the filter could not decide.
     """

    created_at: datetime.datetime
    workflow: None | str | Unset = UNSET
    filter_id: None | Unset | UUID = UNSET
    filter_version: int | None | Unset = UNSET
    run_id: None | Unset | UUID = UNSET
    error: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        workflow: None | str | Unset
        if isinstance(self.workflow, Unset):
            workflow = UNSET
        else:
            workflow = self.workflow

        filter_id: None | str | Unset
        if isinstance(self.filter_id, Unset):
            filter_id = UNSET
        elif isinstance(self.filter_id, UUID):
            filter_id = str(self.filter_id)
        else:
            filter_id = self.filter_id

        filter_version: int | None | Unset
        if isinstance(self.filter_version, Unset):
            filter_version = UNSET
        else:
            filter_version = self.filter_version

        run_id: None | str | Unset
        if isinstance(self.run_id, Unset):
            run_id = UNSET
        elif isinstance(self.run_id, UUID):
            run_id = str(self.run_id)
        else:
            run_id = self.run_id

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "created_at": created_at,
        })
        if workflow is not UNSET:
            field_dict["workflow"] = workflow
        if filter_id is not UNSET:
            field_dict["filter_id"] = filter_id
        if filter_version is not UNSET:
            field_dict["filter_version"] = filter_version
        if run_id is not UNSET:
            field_dict["run_id"] = run_id
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        def _parse_workflow(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        workflow = _parse_workflow(d.pop("workflow", UNSET))


        def _parse_filter_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                filter_id_type_0 = UUID(data)



                return filter_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        filter_id = _parse_filter_id(d.pop("filter_id", UNSET))


        def _parse_filter_version(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        filter_version = _parse_filter_version(d.pop("filter_version", UNSET))


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


        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))


        event_match = cls(
            created_at=created_at,
            workflow=workflow,
            filter_id=filter_id,
            filter_version=filter_version,
            run_id=run_id,
            error=error,
        )


        event_match.additional_properties = d
        return event_match

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
