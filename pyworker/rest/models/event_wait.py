from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.event_wait_on_timeout_type_0 import EventWaitOnTimeoutType0
from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="EventWait")



@_attrs_define
class EventWait:
    """ 
        Attributes:
            event (str): The event key waited for.
            match (None | str | Unset): CEL over the event and the run input.
            timeout (float | int | None | str | Unset):
            on_timeout (EventWaitOnTimeoutType0 | None | Unset):
     """

    event: str
    match: None | str | Unset = UNSET
    timeout: float | int | None | str | Unset = UNSET
    on_timeout: EventWaitOnTimeoutType0 | None | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        event = self.event

        match: None | str | Unset
        if isinstance(self.match, Unset):
            match = UNSET
        else:
            match = self.match

        timeout: float | int | None | str | Unset
        if isinstance(self.timeout, Unset):
            timeout = UNSET
        else:
            timeout = self.timeout

        on_timeout: None | str | Unset
        if isinstance(self.on_timeout, Unset):
            on_timeout = UNSET
        elif isinstance(self.on_timeout, EventWaitOnTimeoutType0):
            on_timeout = self.on_timeout.value
        else:
            on_timeout = self.on_timeout


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "event": event,
        })
        if match is not UNSET:
            field_dict["match"] = match
        if timeout is not UNSET:
            field_dict["timeout"] = timeout
        if on_timeout is not UNSET:
            field_dict["on_timeout"] = on_timeout

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        event = d.pop("event")

        def _parse_match(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        match = _parse_match(d.pop("match", UNSET))


        def _parse_timeout(data: object) -> float | int | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | int | None | str | Unset, data)

        timeout = _parse_timeout(d.pop("timeout", UNSET))


        def _parse_on_timeout(data: object) -> EventWaitOnTimeoutType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                on_timeout_type_0 = EventWaitOnTimeoutType0(data)



                return on_timeout_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EventWaitOnTimeoutType0 | None | Unset, data)

        on_timeout = _parse_on_timeout(d.pop("on_timeout", UNSET))


        event_wait = cls(
            event=event,
            match=match,
            timeout=timeout,
            on_timeout=on_timeout,
        )

        return event_wait

