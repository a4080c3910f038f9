from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="RateLimit")



@_attrs_define
class RateLimit:
    """ 
        Attributes:
            name (str):
            rate (float):
            period_seconds (float):
            burst (float):
            buckets (int): Keys with a bucket of their own.
            tokens (float | None | Unset): Tokens left (the unkeyed bucket).
     """

    name: str
    rate: float
    period_seconds: float
    burst: float
    buckets: int
    tokens: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        name = self.name

        rate = self.rate

        period_seconds = self.period_seconds

        burst = self.burst

        buckets = self.buckets

        tokens: float | None | Unset
        if isinstance(self.tokens, Unset):
            tokens = UNSET
        else:
            tokens = self.tokens


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "name": name,
            "rate": rate,
            "period_seconds": period_seconds,
            "burst": burst,
            "buckets": buckets,
        })
        if tokens is not UNSET:
            field_dict["tokens"] = tokens

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        rate = d.pop("rate")

        period_seconds = d.pop("period_seconds")

        burst = d.pop("burst")

        buckets = d.pop("buckets")

        def _parse_tokens(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        tokens = _parse_tokens(d.pop("tokens", UNSET))


        rate_limit = cls(
            name=name,
            rate=rate,
            period_seconds=period_seconds,
            burst=burst,
            buckets=buckets,
            tokens=tokens,
        )


        rate_limit.additional_properties = d
        return rate_limit

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
