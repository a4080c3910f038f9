from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from ..models.cron_request_catch_up import CronRequestCatchUp
from ..types import UNSET, Unset
from typing import cast

if TYPE_CHECKING:
  from ..models.cron_request_input import CronRequestInput





T = TypeVar("T", bound="CronRequest")



@_attrs_define
class CronRequest:
    """ 
        Attributes:
            workflow (str):
            name (str):
            expression (str): A cron expression, in UTC.
            input_ (CronRequestInput | Unset):
            catch_up (CronRequestCatchUp | Unset):  Default: CronRequestCatchUp.SKIP.
     """

    workflow: str
    name: str
    expression: str
    input_: CronRequestInput | Unset = UNSET
    catch_up: CronRequestCatchUp | Unset = CronRequestCatchUp.SKIP





    def to_dict(self) -> dict[str, Any]:
        from ..models.cron_request_input import CronRequestInput # noqa: PLC0415
        workflow = self.workflow

        name = self.name

        expression = self.expression

        input_: dict[str, Any] | Unset = UNSET
        if not isinstance(self.input_, Unset):
            input_ = self.input_.to_dict()

        catch_up: str | Unset = UNSET
        if not isinstance(self.catch_up, Unset):
            catch_up = self.catch_up.value



        field_dict: dict[str, Any] = {}

        field_dict.update({
            "workflow": workflow,
            "name": name,
            "expression": expression,
        })
        if input_ is not UNSET:
            field_dict["input"] = input_
        if catch_up is not UNSET:
            field_dict["catch_up"] = catch_up

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.cron_request_input import CronRequestInput # noqa: PLC0415
        d = dict(src_dict)
        workflow = d.pop("workflow")

        name = d.pop("name")

        expression = d.pop("expression")

        _input_ = d.pop("input", UNSET)
        input_: CronRequestInput | Unset
        if isinstance(_input_,  Unset):
            input_ = UNSET
        else:
            input_ = CronRequestInput.from_dict(_input_)




        _catch_up = d.pop("catch_up", UNSET)
        catch_up: CronRequestCatchUp | Unset
        if isinstance(_catch_up,  Unset):
            catch_up = UNSET
        else:
            catch_up = CronRequestCatchUp(_catch_up)




        cron_request = cls(
            workflow=workflow,
            name=name,
            expression=expression,
            input_=input_,
            catch_up=catch_up,
        )

        return cron_request

