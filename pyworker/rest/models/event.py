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

if TYPE_CHECKING:
  from ..models.event_metadata import EventMetadata
  from ..models.event_payload import EventPayload





T = TypeVar("T", bound="Event")



@_attrs_define
class Event:
    """ 
        Attributes:
            event_id (UUID):
            key (str):
            payload (EventPayload):
            metadata (EventMetadata):
            created_at (datetime.datetime):
            scope (None | str | Unset):
     """

    event_id: UUID
    key: str
    payload: EventPayload
    metadata: EventMetadata
    created_at: datetime.datetime
    scope: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        from ..models.event_metadata import EventMetadata # noqa: PLC0415
        from ..models.event_payload import EventPayload # noqa: PLC0415
        event_id = str(self.event_id)

        key = self.key

        payload = self.payload.to_dict()

        metadata = self.metadata.to_dict()

        created_at = self.created_at.isoformat()

        scope: None | str | Unset
        if isinstance(self.scope, Unset):
            scope = UNSET
        else:
            scope = self.scope


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "event_id": event_id,
            "key": key,
            "payload": payload,
            "metadata": metadata,
            "created_at": created_at,
        })
        if scope is not UNSET:
            field_dict["scope"] = scope

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.event_metadata import EventMetadata # noqa: PLC0415
        from ..models.event_payload import EventPayload # noqa: PLC0415
        d = dict(src_dict)
        event_id = UUID(d.pop("event_id"))




        key = d.pop("key")

        payload = EventPayload.from_dict(d.pop("payload"))




        metadata = EventMetadata.from_dict(d.pop("metadata"))




        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        def _parse_scope(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        scope = _parse_scope(d.pop("scope", UNSET))


        event = cls(
            event_id=event_id,
            key=key,
            payload=payload,
            metadata=metadata,
            created_at=created_at,
            scope=scope,
        )


        event.additional_properties = d
        return event

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
