from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..types import UNSET, Unset
from typing import cast






T = TypeVar("T", bound="WorkflowStats")



@_attrs_define
class WorkflowStats:
    """ A workflow's task attempts that ended in the window, from the analytics store.

        Attributes:
            workflow (str):
            attempts (int):
            succeeded (int):
            retried (int):
            failed (int):
            cancelled (int):
            failure_rate (float | None): failed / attempts; null without attempts.
            per_minute (float): Attempts ended per minute over the window.
            wait_p50_ms (float | None | Unset): Queue wait: ready to started.
            wait_p99_ms (float | None | Unset):
            run_p50_ms (float | None | Unset): Run time: started to ended.
            run_p99_ms (float | None | Unset):
     """

    workflow: str
    attempts: int
    succeeded: int
    retried: int
    failed: int
    cancelled: int
    failure_rate: float | None
    per_minute: float
    wait_p50_ms: float | None | Unset = UNSET
    wait_p99_ms: float | None | Unset = UNSET
    run_p50_ms: float | None | Unset = UNSET
    run_p99_ms: float | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)





    def to_dict(self) -> dict[str, Any]:
        workflow = self.workflow

        attempts = self.attempts

        succeeded = self.succeeded

        retried = self.retried

        failed = self.failed

        cancelled = self.cancelled

        failure_rate: float | None
        failure_rate = self.failure_rate

        per_minute = self.per_minute

        wait_p50_ms: float | None | Unset
        if isinstance(self.wait_p50_ms, Unset):
            wait_p50_ms = UNSET
        else:
            wait_p50_ms = self.wait_p50_ms

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

        run_p99_ms: float | None | Unset
        if isinstance(self.run_p99_ms, Unset):
            run_p99_ms = UNSET
        else:
            run_p99_ms = self.run_p99_ms


        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({
            "workflow": workflow,
            "attempts": attempts,
            "succeeded": succeeded,
            "retried": retried,
            "failed": failed,
            "cancelled": cancelled,
            "failure_rate": failure_rate,
            "per_minute": per_minute,
        })
        if wait_p50_ms is not UNSET:
            field_dict["wait_p50_ms"] = wait_p50_ms
        if wait_p99_ms is not UNSET:
            field_dict["wait_p99_ms"] = wait_p99_ms
        if run_p50_ms is not UNSET:
            field_dict["run_p50_ms"] = run_p50_ms
        if run_p99_ms is not UNSET:
            field_dict["run_p99_ms"] = run_p99_ms

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        workflow = d.pop("workflow")

        attempts = d.pop("attempts")

        succeeded = d.pop("succeeded")

        retried = d.pop("retried")

        failed = d.pop("failed")

        cancelled = d.pop("cancelled")

        def _parse_failure_rate(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        failure_rate = _parse_failure_rate(d.pop("failure_rate"))


        per_minute = d.pop("per_minute")

        def _parse_wait_p50_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        wait_p50_ms = _parse_wait_p50_ms(d.pop("wait_p50_ms", UNSET))


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


        def _parse_run_p99_ms(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        run_p99_ms = _parse_run_p99_ms(d.pop("run_p99_ms", UNSET))


        workflow_stats = cls(
            workflow=workflow,
            attempts=attempts,
            succeeded=succeeded,
            retried=retried,
            failed=failed,
            cancelled=cancelled,
            failure_rate=failure_rate,
            per_minute=per_minute,
            wait_p50_ms=wait_p50_ms,
            wait_p99_ms=wait_p99_ms,
            run_p50_ms=run_p50_ms,
            run_p99_ms=run_p99_ms,
        )


        workflow_stats.additional_properties = d
        return workflow_stats

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
