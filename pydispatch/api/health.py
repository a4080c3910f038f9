"""Liveness and readiness, for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request

from pydispatch.api.core import QUERIES
from pydispatch.api.models import Health, Problem, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Health:
    """The API process answers."""
    return Health(status="ok")


@router.get("/readyz", responses={503: {"model": Problem}})
async def readyz(request: Request) -> Ready:
    """The API can reach its database."""
    async with request.app.state.pool.connection() as conn:
        cur = await conn.execute(QUERIES["schema_version"])
        row = await cur.fetchone()
    if row is None:
        raise RuntimeError("hewer.meta has no row")
    return Ready(status="ready", schema_version=row["schema_version"])
