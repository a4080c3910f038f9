"""A Hewer home: the directory of one local setup, holding the embedded database (pgdata/),
the logs of `hewer dev` (logs/) and the address of the dispatcher serving it
(dispatcher.json), so that every command run from the same project reaches the same database
and the same dispatcher.

Which home: $HEWER_HOME when set; else the nearest `.hewer` directory in the current
directory or one of its parents (as git finds `.git`); else `./.hewer`, made when first
needed. Standard library only: the SDK finds a home's dispatcher without the server extra.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

HOME_ENV = "HEWER_HOME"
HOME_DIR = ".hewer"
DISPATCHER_FILE = "dispatcher.json"


def hewer_home(start: Path | None = None) -> Path:
    """The home this process uses (absolute); see the module's docstring."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser().absolute()
    here = (start or Path.cwd()).absolute()
    for directory in (here, *here.parents):
        candidate = directory / HOME_DIR
        if candidate.is_dir():
            return candidate
    return here / HOME_DIR


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def advertise_dispatcher(address: str, home: Path | None = None) -> Path:
    """Record that this process serves `address` for the home; returns the file written."""
    path = (home or hewer_home()) / DISPATCHER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{DISPATCHER_FILE}.{os.getpid()}")
    tmp.write_text(json.dumps({"address": address, "pid": os.getpid()}))
    tmp.replace(path)
    return path


def withdraw_dispatcher(home: Path | None = None) -> None:
    """Remove the home's dispatcher record if this process wrote it."""
    path = (home or hewer_home()) / DISPATCHER_FILE
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        if json.loads(path.read_text())["pid"] == os.getpid():
            path.unlink()


def home_dispatcher(home: Path | None = None) -> str | None:
    """The address of the dispatcher serving the home, if one is recorded and its process
    lives; None otherwise."""
    path = (home or hewer_home()) / DISPATCHER_FILE
    try:
        record = json.loads(path.read_text())
        address, pid = str(record["address"]), int(record["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return address if _alive(pid) else None
