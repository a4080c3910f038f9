from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="Backoff")



@_attrs_define
class Backoff:
    """ 
        Attributes:
            base (float | int | None | str | Unset): Delay after the first failure.
            factor (float | int | None | Unset): Each further retry waits this many times longer.
            max_ (float | int | None | str | Unset): The cap on the delay.
            jitter (float | int | None | Unset): A random spread of ± this fraction.
     """

    base: float | int | None | str | Unset = UNSET
    factor: float | int | None | Unset = UNSET
    max_: float | int | None | str | Unset = UNSET
    jitter: float | int | None | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        base: float | int | None | str | Unset
        if isinstance(self.base, Unset):
            base = UNSET
        else:
            base = self.base

        factor: float | int | None | Unset
        if isinstance(self.factor, Unset):
            factor = UNSET
        else:
            factor = self.factor

        max_: float | int | None | str | Unset
        if isinstance(self.max_, Unset):
            max_ = UNSET
        else:
            max_ = self.max_

        jitter: float | int | None | Unset
        if isinstance(self.jitter, Unset):
            jitter = UNSET
        else:
            jitter = self.jitter


        field_dict: dict[str, Any] = {}

        field_dict.update({
        })
        if base is not UNSET:
            field_dict["base"] = base
        if factor is not UNSET:
            field_dict["factor"] = factor
        if max_ is not UNSET:
            field_dict["max"] = max_
        if jitter is not UNSET:
            field_dict["jitter"] = jitter

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        def _parse_base(data: object) -> float | int | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | int | None | str | Unset, data)

        base = _parse_base(d.pop("base", UNSET))


        def _parse_factor(data: object) -> float | int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | int | None | Unset, data)

        factor = _parse_factor(d.pop("factor", UNSET))


        def _parse_max_(data: object) -> float | int | None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | int | None | str | Unset, data)

        max_ = _parse_max_(d.pop("max", UNSET))


        def _parse_jitter(data: object) -> float | int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | int | None | Unset, data)

        jitter = _parse_jitter(d.pop("jitter", UNSET))


        backoff = cls(
            base=base,
            factor=factor,
            max_=max_,
            jitter=jitter,
        )

        return backoff

