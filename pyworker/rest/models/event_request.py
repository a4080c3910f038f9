from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.event_request_metadata import EventRequestMetadata
  from ..models.event_request_payload import EventRequestPayload





T = TypeVar("T", bound="EventRequest")



@_attrs_define
class EventRequest:
    """ 
        Attributes:
            key (str): e.g. order.created
            payload (EventRequestPayload | Unset):
            metadata (EventRequestMetadata | Unset):
            scope (None | str | Unset):
     """

    key: str
    payload: EventRequestPayload | Unset = UNSET
    metadata: EventRequestMetadata | Unset = UNSET
    scope: None | str | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.event_request_metadata import EventRequestMetadata # noqa: PLC0415
        from ..models.event_request_payload import EventRequestPayload # noqa: PLC0415
        key = self.key

        payload: dict[str, Any] | Unset = UNSET
        if not isinstance(self.payload, Unset):
            payload = self.payload.to_dict()

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        scope: None | str | Unset
        if isinstance(self.scope, Unset):
            scope = UNSET
        else:
            scope = self.scope


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "key": key,
        })
        if payload is not UNSET:
            field_dict["payload"] = payload
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if scope is not UNSET:
            field_dict["scope"] = scope

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.event_request_metadata import EventRequestMetadata # noqa: PLC0415
        from ..models.event_request_payload import EventRequestPayload # noqa: PLC0415
        d = dict(src_dict)
        key = d.pop("key")

        _payload = d.pop("payload", UNSET)
        payload: EventRequestPayload | Unset
        if isinstance(_payload,  Unset):
            payload = UNSET
        else:
            payload = EventRequestPayload.from_dict(_payload)




        _metadata = d.pop("metadata", UNSET)
        metadata: EventRequestMetadata | Unset
        if isinstance(_metadata,  Unset):
            metadata = UNSET
        else:
            metadata = EventRequestMetadata.from_dict(_metadata)




        def _parse_scope(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        scope = _parse_scope(d.pop("scope", UNSET))


        event_request = cls(
            key=key,
            payload=payload,
            metadata=metadata,
            scope=scope,
        )

        return event_request

