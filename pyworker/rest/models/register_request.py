from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, BinaryIO, TextIO, TYPE_CHECKING, Generator

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

from typing import cast

if TYPE_CHECKING:
  from ..models.workflow_spec import WorkflowSpec





T = TypeVar("T", bound="RegisterRequest")



@_attrs_define
class RegisterRequest:
    """ 
        Attributes:
            name (str): The workflow's name.
            spec (WorkflowSpec): A workflow's spec; every field is checked by hewer.workflow_register.
     """

    name: str
    spec: WorkflowSpec





    def to_dict(self) -> dict[str, Any]:
        from ..models.workflow_spec import WorkflowSpec # noqa: PLC0415
        name = self.name

        spec = self.spec.to_dict()


        field_dict: dict[str, Any] = {}

        field_dict.update({
            "name": name,
            "spec": spec,
        })

        return field_dict



    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.workflow_spec import WorkflowSpec # noqa: PLC0415
        d = dict(src_dict)
        name = d.pop("name")

        spec = WorkflowSpec.from_dict(d.pop("spec"))




        register_request = cls(
            name=name,
            spec=spec,
        )

        return register_request

