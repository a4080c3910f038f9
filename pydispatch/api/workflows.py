"""Workflows: list, show, versions, register, roll back."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Response
from psycopg.types.json import Jsonb

from pydispatch.api.core import Who, not_found
from pydispatch.api.models import (
    Problem,
    Registered,
    RegisterRequest,
    RollbackRequest,
    RolledBack,
    VersionSummary,
    WorkflowSummary,
    WorkflowVersion,
)

REFUSED: Final[dict[int | str, dict[str, Any]]] = {
    404: {"model": Problem},
    409: {"model": Problem},
}

router = APIRouter(tags=["workflows"])


@router.get("/v1/workflows")
async def list_workflows(who: Who) -> list[WorkflowSummary]:
    """The workflows, with their current and latest versions."""
    return [WorkflowSummary.model_validate(r) for r in await who.rows("workflow_list", {})]


@router.post("/v1/workflows", status_code=201, responses={200: {"model": Registered}, **REFUSED})
async def register_workflow(body: RegisterRequest, who: Who, response: Response) -> Registered:
    """Register a version of a workflow from its spec and make it current (201); the same
    spec again gives the existing version (200)."""
    row = await who.one(
        "workflow_register",
        {"name": body.name, "spec": Jsonb(body.spec.model_dump(mode="json", exclude_unset=True))},
    )
    if not row["created"]:
        response.status_code = 200
    return Registered.model_validate(row)


# The spec as registered: the fields it left out stay out (not null).
@router.get("/v1/workflows/{name}", responses=REFUSED, response_model_exclude_unset=True)
async def get_workflow(
    name: str,
    who: Who,
    version: Annotated[int | None, Query(ge=1, description="Default: the current one.")] = None,
) -> WorkflowVersion:
    """A version of a workflow (the current one by default), with its spec."""
    row = await who.one("workflow_get", {"name": name, "version": version})
    return WorkflowVersion.model_validate(row)


@router.get("/v1/workflows/{name}/versions", responses=REFUSED)
async def workflow_versions(name: str, who: Who) -> list[VersionSummary]:
    """Every version of a workflow, with its runs still active."""
    rows = await who.rows("workflow_versions", {"name": name})
    if not rows:
        raise not_found(f"workflow {name!r}")
    return [VersionSummary.model_validate(r) for r in rows]


@router.post("/v1/workflows/{name}/rollback", responses=REFUSED)
async def rollback_workflow(name: str, body: RollbackRequest, who: Who) -> RolledBack:
    """Make an earlier version current again; runs already started keep theirs."""
    row = await who.one("workflow_rollback", {"name": name, "version": body.version})
    return RolledBack.model_validate(row)
