from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from uuid import UUID






T = TypeVar("T", bound="Replayed")



@_attrs_define
class Replayed:
    """ 
        Attributes:
            run_id (UUID):
            replay_run_id (UUID):
            kept (int): Steps kept from the original, with their outputs.
            to_run (int):
     """

    run_id: UUID
    replay_run_id: UUID
    kept: int
    to_run: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        run_id = str(self.run_id)

        replay_run_id = str(self.replay_run_id)

        kept = self.kept

        to_run = self.to_run


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "run_id": run_id,
            "replay_run_id": replay_run_id,
            "kept": kept,
            "to_run": to_run,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        run_id = UUID(d.pop("run_id"))




        replay_run_id = UUID(d.pop("replay_run_id"))




        kept = d.pop("kept")

        to_run = d.pop("to_run")

        replayed = cls(
            run_id=run_id,
            replay_run_id=replay_run_id,
            kept=kept,
            to_run=to_run,
        )


        replayed.additional_properties = d
        return replayed

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
