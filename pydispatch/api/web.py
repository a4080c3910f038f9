"""The dashboard: the single-page app built from dashboard/ (`make dashboard`) into
pydispatch/api/dashboard, served at `/`. Its client routes (/runs, /runs/<id>, ...) all get
index.html; the API's own paths keep their JSON 404s."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

DASHBOARD: Final = Path(__file__).with_name("dashboard")
# Paths the API answers itself: never the app's index.html, even when nothing is there.
API_PATHS: Final = ("v1/", "v1", "healthz", "readyz", "metrics", "docs", "redoc", "openapi.json")
# The build's file names are fixed (dashboard/vite.config.ts): browsers revalidate each load.
NO_CACHE: Final = {"Cache-Control": "no-cache"}
NOT_BUILT: Final = (
    "<!doctype html><title>Hewer</title><p>The dashboard is not built in this checkout: run "
    "<code>make dashboard</code>. The API is at <a href='/docs'>/docs</a>.</p>"
)


class _Assets(StaticFiles):
    def file_response(self, *args: object, **kwargs: object) -> Response:
        response = super().file_response(*args, **kwargs)  # type: ignore[arg-type]
        response.headers.update(NO_CACHE)
        return response


def mount(app: FastAPI, directory: Path = DASHBOARD) -> None:
    """Serve the dashboard at `/`: its assets, and index.html for every other path that is
    not the API's. Added after the API's routes, so theirs match first."""
    app.mount("/assets", _Assets(directory=directory / "assets", check_dir=False), name="dashboard")

    @app.get("/{path:path}", include_in_schema=False)
    async def dashboard(path: str) -> Response:
        if path.startswith(API_PATHS):
            raise StarletteHTTPException(404, "Not Found")
        index = directory / "index.html"
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=404)
        return FileResponse(index, headers=NO_CACHE)
