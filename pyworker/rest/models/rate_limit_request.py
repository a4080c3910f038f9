from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="RateLimitRequest")



@_attrs_define
class RateLimitRequest:
    """ 
        Attributes:
            rate (float): Tokens added per period.
            period (float | int | str | Unset): Default: 1 second. Default: 1.
            burst (float | None | Unset): Bucket size; default: rate.
     """

    rate: float
    period: float | int | str | Unset = 1
    burst: float | None | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        rate = self.rate

        period: float | int | str | Unset
        if isinstance(self.period, Unset):
            period = UNSET
        else:
            period = self.period

        burst: float | None | Unset
        if isinstance(self.burst, Unset):
            burst = UNSET
        else:
            burst = self.burst


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "rate": rate,
        })
        if period is not UNSET:
            field_dict["period"] = period
        if burst is not UNSET:
            field_dict["burst"] = burst

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        rate = d.pop("rate")

        def _parse_period(data: object) -> float | int | str | Unset:
            if isinstance(data, Unset):
                return data
            return cast(float | int | str | Unset, data)

        period = _parse_period(d.pop("period", UNSET))


        def _parse_burst(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        burst = _parse_burst(d.pop("burst", UNSET))


        rate_limit_request = cls(
            rate=rate,
            period=period,
            burst=burst,
        )

        return rate_limit_request

