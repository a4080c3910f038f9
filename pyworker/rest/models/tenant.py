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






T = TypeVar("T", bound="Tenant")



@_attrs_define
class Tenant:
    """ 
        Attributes:
            tenant_id (UUID):
            name (str):
            active_tokens (int):
            created_at (datetime.datetime):
            db_role (None | str | Unset):
            max_running (int | None | Unset):
            max_trigger_rate (float | None | Unset):
            trigger_burst (int | None | Unset):
            max_payload_bytes (int | None | Unset):
            max_offload_bytes (int | None | Unset):
     """

    tenant_id: UUID
    name: str
    active_tokens: int
    created_at: datetime.datetime
    db_role: None | str | Unset = UNSET
    max_running: int | None | Unset = UNSET
    max_trigger_rate: float | None | Unset = UNSET
    trigger_burst: int | None | Unset = UNSET
    max_payload_bytes: int | None | Unset = UNSET
    max_offload_bytes: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        tenant_id = str(self.tenant_id)

        name = self.name

        active_tokens = self.active_tokens

        created_at = self.created_at.isoformat()

        db_role: None | str | Unset
        if isinstance(self.db_role, Unset):
            db_role = UNSET
        else:
            db_role = self.db_role

        max_running: int | None | Unset
        if isinstance(self.max_running, Unset):
            max_running = UNSET
        else:
            max_running = self.max_running

        max_trigger_rate: float | None | Unset
        if isinstance(self.max_trigger_rate, Unset):
            max_trigger_rate = UNSET
        else:
            max_trigger_rate = self.max_trigger_rate

        trigger_burst: int | None | Unset
        if isinstance(self.trigger_burst, Unset):
            trigger_burst = UNSET
        else:
            trigger_burst = self.trigger_burst

        max_payload_bytes: int | None | Unset
        if isinstance(self.max_payload_bytes, Unset):
            max_payload_bytes = UNSET
        else:
            max_payload_bytes = self.max_payload_bytes

        max_offload_bytes: int | None | Unset
        if isinstance(self.max_offload_bytes, Unset):
            max_offload_bytes = UNSET
        else:
            max_offload_bytes = self.max_offload_bytes


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "tenant_id": tenant_id,
            "name": name,
            "active_tokens": active_tokens,
            "created_at": created_at,
        })
        if db_role is not UNSET:
            field_dict["db_role"] = db_role
        if max_running is not UNSET:
            field_dict["max_running"] = max_running
        if max_trigger_rate is not UNSET:
            field_dict["max_trigger_rate"] = max_trigger_rate
        if trigger_burst is not UNSET:
            field_dict["trigger_burst"] = trigger_burst
        if max_payload_bytes is not UNSET:
            field_dict["max_payload_bytes"] = max_payload_bytes
        if max_offload_bytes is not UNSET:
            field_dict["max_offload_bytes"] = max_offload_bytes

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        tenant_id = UUID(d.pop("tenant_id"))




        name = d.pop("name")

        active_tokens = d.pop("active_tokens")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))




        def _parse_db_role(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        db_role = _parse_db_role(d.pop("db_role", UNSET))


        def _parse_max_running(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_running = _parse_max_running(d.pop("max_running", UNSET))


        def _parse_max_trigger_rate(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        max_trigger_rate = _parse_max_trigger_rate(d.pop("max_trigger_rate", UNSET))


        def _parse_trigger_burst(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        trigger_burst = _parse_trigger_burst(d.pop("trigger_burst", UNSET))


        def _parse_max_payload_bytes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_payload_bytes = _parse_max_payload_bytes(d.pop("max_payload_bytes", UNSET))


        def _parse_max_offload_bytes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_offload_bytes = _parse_max_offload_bytes(d.pop("max_offload_bytes", UNSET))


        tenant = cls(
            tenant_id=tenant_id,
            name=name,
            active_tokens=active_tokens,
            created_at=created_at,
            db_role=db_role,
            max_running=max_running,
            max_trigger_rate=max_trigger_rate,
            trigger_burst=trigger_burst,
            max_payload_bytes=max_payload_bytes,
            max_offload_bytes=max_offload_bytes,
        )


        tenant.additional_properties = d
        return tenant

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
