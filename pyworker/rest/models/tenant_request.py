from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="TenantRequest")



@_attrs_define
class TenantRequest:
    """ 
        Attributes:
            name (str):
            db_role (None | str | Unset): A database login acting for it; empty removes it.
            max_running (int | None | Unset): Tasks at once.
            max_trigger_rate (float | None | Unset): Runs per second.
            trigger_burst (int | None | Unset):
            max_payload_bytes (int | None | Unset):
            max_offload_bytes (int | None | Unset): The largest payload kept in object storage.
     """

    name: str
    db_role: None | str | Unset = UNSET
    max_running: int | None | Unset = UNSET
    max_trigger_rate: float | None | Unset = UNSET
    trigger_burst: int | None | Unset = UNSET
    max_payload_bytes: int | None | Unset = UNSET
    max_offload_bytes: int | None | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        name = self.name

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

        field_dict.update({
            "name": name,
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
        name = d.pop("name")

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


        tenant_request = cls(
            name=name,
            db_role=db_role,
            max_running=max_running,
            max_trigger_rate=max_trigger_rate,
            trigger_burst=trigger_burst,
            max_payload_bytes=max_payload_bytes,
            max_offload_bytes=max_offload_bytes,
        )

        return tenant_request

