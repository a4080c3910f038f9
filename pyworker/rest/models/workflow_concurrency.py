from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.workflow_concurrency_strategy_type_0 import WorkflowConcurrencyStrategyType0
from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="WorkflowConcurrency")



@_attrs_define
class WorkflowConcurrency:
    """ 
        Attributes:
            max_ (int):
            key (None | str | Unset): CEL over the run input.
            strategy (None | Unset | WorkflowConcurrencyStrategyType0):
     """

    max_: int
    key: None | str | Unset = UNSET
    strategy: None | Unset | WorkflowConcurrencyStrategyType0 = UNSET





    def to_dict(self) -> dict[str, Any]:
        max_ = self.max_

        key: None | str | Unset
        if isinstance(self.key, Unset):
            key = UNSET
        else:
            key = self.key

        strategy: None | str | Unset
        if isinstance(self.strategy, Unset):
            strategy = UNSET
        elif isinstance(self.strategy, WorkflowConcurrencyStrategyType0):
            strategy = self.strategy.value
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


        def _parse_strategy(data: object) -> None | Unset | WorkflowConcurrencyStrategyType0:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                strategy_type_0 = WorkflowConcurrencyStrategyType0(data)



                return strategy_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | WorkflowConcurrencyStrategyType0, data)

        strategy = _parse_strategy(d.pop("strategy", UNSET))


        workflow_concurrency = cls(
            max_=max_,
            key=key,
            strategy=strategy,
        )

        return workflow_concurrency

