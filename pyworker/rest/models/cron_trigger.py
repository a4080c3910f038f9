from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.cron_trigger_catch_up_type_0 import CronTriggerCatchUpType0
from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.cron_trigger_input_type_0 import CronTriggerInputType0





T = TypeVar("T", bound="CronTrigger")



@_attrs_define
class CronTrigger:
    """ 
        Attributes:
            expression (str): A cron expression, in UTC.
            input_ (CronTriggerInputType0 | None | Unset):
            catch_up (CronTriggerCatchUpType0 | None | Unset):
     """

    expression: str
    input_: CronTriggerInputType0 | None | Unset = UNSET
    catch_up: CronTriggerCatchUpType0 | None | Unset = UNSET





    def to_dict(self) -> dict[str, Any]:
        from ..models.cron_trigger_input_type_0 import CronTriggerInputType0 # noqa: PLC0415
        expression = self.expression

        input_: dict[str, Any] | None | Unset
        if isinstance(self.input_, Unset):
            input_ = UNSET
        elif isinstance(self.input_, CronTriggerInputType0):
            input_ = self.input_.to_dict()
        else:
            input_ = self.input_

        catch_up: None | str | Unset
        if isinstance(self.catch_up, Unset):
            catch_up = UNSET
        elif isinstance(self.catch_up, CronTriggerCatchUpType0):
            catch_up = self.catch_up.value
        else:
            catch_up = self.catch_up


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "expression": expression,
        })
        if input_ is not UNSET:
            field_dict["input"] = input_
        if catch_up is not UNSET:
            field_dict["catch_up"] = catch_up

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.cron_trigger_input_type_0 import CronTriggerInputType0 # noqa: PLC0415
        d = dict(src_dict)
        expression = d.pop("expression")

        def _parse_input_(data: object) -> CronTriggerInputType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                input_type_0 = CronTriggerInputType0.from_dict(data)



                return input_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CronTriggerInputType0 | None | Unset, data)

        input_ = _parse_input_(d.pop("input", UNSET))


        def _parse_catch_up(data: object) -> CronTriggerCatchUpType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                catch_up_type_0 = CronTriggerCatchUpType0(data)



                return catch_up_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CronTriggerCatchUpType0 | None | Unset, data)

        catch_up = _parse_catch_up(d.pop("catch_up", UNSET))


        cron_trigger = cls(
            expression=expression,
            input_=input_,
            catch_up=catch_up,
        )

        return cron_trigger

