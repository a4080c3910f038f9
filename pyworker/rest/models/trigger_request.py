from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.trigger_request_metadata import TriggerRequestMetadata





T = TypeVar("T", bound="TriggerRequest")



@_attrs_define
class TriggerRequest:
    """ A run to start.

        Attributes:
            workflow (str): The workflow's name.
            input_ (Any | Unset):
            priority (int | None | Unset): Higher runs first; default: each step's own.
            idempotency_key (None | str | Unset): The same key gives the same run.
            metadata (TriggerRequestMetadata | Unset): Key/value tags, inherited by child runs.
     """

    workflow: str
    input_: Any | Unset = UNSET
    priority: int | None | Unset = UNSET
    idempotency_key: None | str | Unset = UNSET
    metadata: TriggerRequestMetadata | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.trigger_request_metadata import TriggerRequestMetadata # noqa: PLC0415
        workflow = self.workflow

        input_ = self.input_

        priority: int | None | Unset
        if isinstance(self.priority, Unset):
            priority = UNSET
        else:
            priority = self.priority

        idempotency_key: None | str | Unset
        if isinstance(self.idempotency_key, Unset):
            idempotency_key = UNSET
        else:
            idempotency_key = self.idempotency_key

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "workflow": workflow,
        })
        if input_ is not UNSET:
            field_dict["input"] = input_
        if priority is not UNSET:
            field_dict["priority"] = priority
        if idempotency_key is not UNSET:
            field_dict["idempotency_key"] = idempotency_key
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.trigger_request_metadata import TriggerRequestMetadata # noqa: PLC0415
        d = dict(src_dict)
        workflow = d.pop("workflow")

        input_ = d.pop("input", UNSET)

        def _parse_priority(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        priority = _parse_priority(d.pop("priority", UNSET))


        def _parse_idempotency_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        idempotency_key = _parse_idempotency_key(d.pop("idempotency_key", UNSET))


        _metadata = d.pop("metadata", UNSET)
        metadata: TriggerRequestMetadata | Unset
        if isinstance(_metadata,  Unset):
            metadata = UNSET
        else:
            metadata = TriggerRequestMetadata.from_dict(_metadata)




        trigger_request = cls(
            workflow=workflow,
            input_=input_,
            priority=priority,
            idempotency_key=idempotency_key,
            metadata=metadata,
        )

        return trigger_request

