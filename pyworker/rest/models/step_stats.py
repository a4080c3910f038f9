from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="StepStats")



@_attrs_define
class StepStats:
    """ 
        Attributes:
            step (str):
            attempts (int):
            failed (int):
            retried (int):
            wait_p50_ms (float | None | Unset):
            wait_p95_ms (float | None | Unset):
            wait_p99_ms (float | None | Unset):
            run_p50_ms (float | None | Unset):
            run_p95_ms (float | None | Unset):
            run_p99_ms (float | None | Unset):
     """

    step: str
    attempts: int
    failed: int
    retried: int
    wait_p50_ms: float | None | Unset = UNSET
    wait_p95_ms: float | None | Unset = UNSET
    wait_p99_ms: float | None | Unset = UNSET
    run_p50_ms: float | None | Unset = UNSET
    run_p95_ms: float | None | Unset = UNSET
    run_p99_ms: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        step = self.step

        attempts = self.attempts

        failed = self.failed

        retried = self.retried

        wait_p50_ms: float | None | Unset
        if isinstance(self.wait_p50_ms, Unset):
            wait_p50_ms = UNSET
        else:
            wait_p50_ms = self.wait_p50_ms

        wait_p95_ms: float | None | Unset
        if isinstance(self.wait_p95_ms, Unset):
            wait_p95_ms = UNSET
        else:
            wait_p95_ms = self.wait_p95_ms

        wait_p99_ms: float | None | Unset
        if isinstance(self.wait_p99_ms, Unset):
            wait_p99_ms = UNSET
        else:
            wait_p99_ms = self.wait_p99_ms

        run_p50_ms: float | None | Unset
        if isinstance(self.run_p50_ms, Unset):
            run_p50_ms = UNSET
        else:
            run_p50_ms = self.run_p50_ms

        run_p95_ms: float | None | Unset
        if isinstance(self.run_p95_ms, Unset):
            run_p95_ms = UNSET
        else:
            run_p95_ms = self.run_p95_ms

        run_p99_ms: float | None | Unset
        if isinstance(self.run_p99_ms, Unset):
            run_p99_ms = UNSET
        else:
            run_p99_ms = self.run_p99_ms


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "step": step,
            "attempts": attempts,
            "failed": failed,
            "retried": retried,
        })
        if wait_p50_ms is not UNSET:
            field_dict["wait_p50_ms"] = wait_p50_ms
        if wait_p95_ms is not UNSET:
            field_dict["wait_p95_ms"] = wait_p95_ms
        if wait_p99_ms is not UNSET:
            field_dict["wait_p99_ms"] = wait_p99_ms
        if run_p50_ms is not UNSET:
            field_dict["run_p50_ms"] = run_p50_ms
        if run_p95_ms is not UNSET:
            field_dict["run_p95_ms"] = run_p95_ms
        if run_p99_ms is not UNSET:
            field_dict["run_p99_ms"] = run_p99_ms

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        step = d.pop("step")

        attempts = d.pop("attempts")

        failed = d.pop("failed")

        retried = d.pop("retried")

        def _parse_wait_p50_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        wait_p50_ms = _parse_wait_p50_ms(d.pop("wait_p50_ms", UNSET))


        def _parse_wait_p95_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        wait_p95_ms = _parse_wait_p95_ms(d.pop("wait_p95_ms", UNSET))


        def _parse_wait_p99_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        wait_p99_ms = _parse_wait_p99_ms(d.pop("wait_p99_ms", UNSET))


        def _parse_run_p50_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        run_p50_ms = _parse_run_p50_ms(d.pop("run_p50_ms", UNSET))


        def _parse_run_p95_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        run_p95_ms = _parse_run_p95_ms(d.pop("run_p95_ms", UNSET))


        def _parse_run_p99_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        run_p99_ms = _parse_run_p99_ms(d.pop("run_p99_ms", UNSET))


        step_stats = cls(
            step=step,
            attempts=attempts,
            failed=failed,
            retried=retried,
            wait_p50_ms=wait_p50_ms,
            wait_p95_ms=wait_p95_ms,
            wait_p99_ms=wait_p99_ms,
            run_p50_ms=run_p50_ms,
            run_p95_ms=run_p95_ms,
            run_p99_ms=run_p99_ms,
        )


        step_stats.additional_properties = d
        return step_stats

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
