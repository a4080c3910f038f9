from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.cron_catch_up import CronCatchUp
from ..types import UNSET, Unset
from typing import cast
from uuid import UUID
import datetime

if TYPE_CHECKING:
  from ..models.cron_input import CronInput





T = TypeVar("T", bound="Cron")



@_attrs_define
class Cron:
    """ 
        Attributes:
            cron_id (UUID):
            workflow (str):
            name (str):
            expression (str):
            input_ (CronInput):
            catch_up (CronCatchUp):
            source (str): api: made by a call; spec: from the workflow's spec.
            next_at (datetime.datetime | None | Unset):
            last_tick_at (datetime.datetime | None | Unset):
            last_run_id (None | Unset | UUID):
            error (None | str | Unset):
     """

    cron_id: UUID
    workflow: str
    name: str
    expression: str
    input_: CronInput
    catch_up: CronCatchUp
    source: str
    next_at: datetime.datetime | None | Unset = UNSET
    last_tick_at: datetime.datetime | None | Unset = UNSET
    last_run_id: None | Unset | UUID = UNSET
    error: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.cron_input import CronInput # noqa: PLC0415
        cron_id = str(self.cron_id)

        workflow = self.workflow

        name = self.name

        expression = self.expression

        input_ = self.input_.to_dict()

        catch_up = self.catch_up.value

        source = self.source

        next_at: None | str | Unset
        if isinstance(self.next_at, Unset):
            next_at = UNSET
        elif isinstance(self.next_at, datetime.datetime):
            next_at = self.next_at.isoformat()
        else:
            next_at = self.next_at

        last_tick_at: None | str | Unset
        if isinstance(self.last_tick_at, Unset):
            last_tick_at = UNSET
        elif isinstance(self.last_tick_at, datetime.datetime):
            last_tick_at = self.last_tick_at.isoformat()
        else:
            last_tick_at = self.last_tick_at

        last_run_id: None | str | Unset
        if isinstance(self.last_run_id, Unset):
            last_run_id = UNSET
        elif isinstance(self.last_run_id, UUID):
            last_run_id = str(self.last_run_id)
        else:
            last_run_id = self.last_run_id

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "cron_id": cron_id,
            "workflow": workflow,
            "name": name,
            "expression": expression,
            "input": input_,
            "catch_up": catch_up,
            "source": source,
        })
        if next_at is not UNSET:
            field_dict["next_at"] = next_at
        if last_tick_at is not UNSET:
            field_dict["last_tick_at"] = last_tick_at
        if last_run_id is not UNSET:
            field_dict["last_run_id"] = last_run_id
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.cron_input import CronInput # noqa: PLC0415
        d = dict(src_dict)
        cron_id = UUID(d.pop("cron_id"))




        workflow = d.pop("workflow")

        name = d.pop("name")

        expression = d.pop("expression")

        input_ = CronInput.from_dict(d.pop("input"))




        catch_up = CronCatchUp(d.pop("catch_up"))




        source = d.pop("source")

        def _parse_next_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_at_type_0 = datetime.datetime.fromisoformat(data)



                return next_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        next_at = _parse_next_at(d.pop("next_at", UNSET))


        def _parse_last_tick_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_tick_at_type_0 = datetime.datetime.fromisoformat(data)



                return last_tick_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_tick_at = _parse_last_tick_at(d.pop("last_tick_at", UNSET))


        def _parse_last_run_id(data: object) -> None | Unset | UUID:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_run_id_type_0 = UUID(data)



                return last_run_id_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UUID, data)

        last_run_id = _parse_last_run_id(d.pop("last_run_id", UNSET))


        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))


        cron = cls(
            cron_id=cron_id,
            workflow=workflow,
            name=name,
            expression=expression,
            input_=input_,
            catch_up=catch_up,
            source=source,
            next_at=next_at,
            last_tick_at=last_tick_at,
            last_run_id=last_run_id,
            error=error,
        )


        cron.additional_properties = d
        return cron

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
