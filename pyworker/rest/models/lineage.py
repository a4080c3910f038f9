from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
from uuid import UUID






T = TypeVar("T", bound="Lineage")



@_attrs_define
class Lineage:
    """ 
        Attributes:
            run_id (UUID):
            replays (list[UUID]): The runs that replay this one, oldest first.
            replay_of (None | Unset | UUID): The run this one replays.
     """

    run_id: UUID
    replays: list[UUID]
    replay_of: None | Unset | UUID = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        run_id = str(self.run_id)

        replays = []
        for replays_item_data in self.replays:
            replays_item = str(replays_item_data)
            replays.append(replays_item)



        replay_of: None | str | Unset
        if isinstance(self.replay_of, Unset):
            replay_of = UNSET
        elif isinstance(self.replay_of, UUID):
            replay_of = str(self.replay_of)
        else:
            replay_of = self.replay_of


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "run_id": run_id,
            "replays": replays,
        })
        if replay_of is not UNSET:
            field_dict["replay_of"] = replay_of

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        run_id = UUID(d.pop("run_id"))




        replays = []
        _replays = d.pop("replays")
        for replays_item_data in (_replays):
            replays_item = UUID(replays_item_data)



            replays.append(replays_item)


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


        lineage = cls(
            run_id=run_id,
            replays=replays,
            replay_of=replay_of,
        )


        lineage.additional_properties = d
        return lineage

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
