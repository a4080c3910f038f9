from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast
from typing import Literal, cast






T = TypeVar("T", bound="StepConcurrency")



@_attrs_define
class StepConcurrency:
    """ 
        Attributes:
            max_ (int):
            key (None | str | Unset): CEL over the run input.
            strategy (Literal['GROUP_ROUND_ROBIN'] | None | Unset):
     """

    max_: int
    key: None | str | Unset = UNSET
    strategy: Literal['GROUP_ROUND_ROBIN'] | None | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        max_ = self.max_

        key: None | str | Unset
        if isinstance(self.key, Unset):
            key = UNSET
        else:
            key = self.key

        strategy: Literal['GROUP_ROUND_ROBIN'] | None | Unset
        if isinstance(self.strategy, Unset):
            strategy = UNSET
        else:
            strategy = self.strategy


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "max": max_,
        })
        if key is not UNSET:
            field_dict["key"] = key
        if strategy is not UNSET:
            field_dict["strategy"] = strategy

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        max_ = d.pop("max")

        def _parse_key(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        key = _parse_key(d.pop("key", UNSET))


        def _parse_strategy(data: object) -> Literal['GROUP_ROUND_ROBIN'] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            strategy_type_0 = cast(Literal['GROUP_ROUND_ROBIN'] , data)
            if strategy_type_0 != 'GROUP_ROUND_ROBIN':
                raise ValueError(f"strategy_type_0 must match const 'GROUP_ROUND_ROBIN', got '{strategy_type_0}'")
            return strategy_type_0
            return cast(Literal['GROUP_ROUND_ROBIN'] | None | Unset, data)

        strategy = _parse_strategy(d.pop("strategy", UNSET))


        step_concurrency = cls(
            max_=max_,
            key=key,
            strategy=strategy,
        )

        return step_concurrency

