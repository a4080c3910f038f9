"""What every `hewer` command shares: error handling, option parsing and output formatting.

Click and the standard library only, so `hewer --help`, `hewer worker` and `hewer run` work
where only the SDK is installed; the database side is in pydispatch.cli.access.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from pydispatch.cli.hints import for_cli
from pydispatch.errors import HewerError, describe
from pydispatch.table import format_table
from pyworker.errors import HewerError as SdkError


def _expected(exc: BaseException) -> bool:
    """A failure that is the user's to fix: one line on stderr, not a traceback."""
    expected: tuple[type[BaseException], ...] = (
        HewerError,
        SdkError,
        subprocess.SubprocessError,
        OSError,
        ValueError,
    )
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None:
        expected += (psycopg.Error,)
    return isinstance(exc, expected)


class HewerGroup(click.Group):
    """A click group that turns expected failures into one line on stderr and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # The reader stopped early (`| head`): not a failure worth a line. Click exits
            # quietly and keeps the interpreter from flushing into the closed pipe.
            raise
        except Exception as exc:
            if not _expected(exc):
                raise
            click.echo(f"hewer: {for_cli(describe(exc))}", err=True)
            ctx.exit(1)


# --- values ------------------------------------------------------------------------


def when(value: str, option: str) -> datetime:
    """An ISO 8601 timestamp; one without an offset is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise HewerError(
            f"{option} {value!r} is not an ISO 8601 timestamp (e.g. 2030-01-31T12:00:00Z)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def timestamp(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """A click callback: an optional ISO 8601 timestamp option."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 timestamp (e.g. 2030-01-31T12:00:00Z)"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def json_object(
    value: str | None, option: str, example: str = "'{\"id\": 1}'"
) -> dict[str, Any] | None:
    """An option's JSON object, or a one-line error naming the option and the fix."""
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise HewerError(f"{option} is not valid JSON ({exc}); pass e.g. {example}") from None
    except RecursionError:
        raise HewerError(
            f"{option} is nested too deeply to parse (about 1,000 levels of arrays and "
            "objects); flatten it"
        ) from None
    if not isinstance(parsed, dict):
        raise HewerError(
            f"{option} must be a JSON object, got {type(parsed).__name__} {value[:40]!r}; "
            f"pass e.g. {example}"
        )
    return parsed


def metadata_option(value: str | None, option: str = "--metadata") -> dict[str, Any] | None:
    """A metadata option's JSON object, or a one-line error naming the option and the fix."""
    if value is None:
        return None
    example = '\'{"customer": "acme"}\''
    try:
        parsed = json.loads(value)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise HewerError(f"{option} is not valid JSON ({exc}); pass e.g. {example}") from None
    if not isinstance(parsed, dict):
        raise HewerError(
            f"{option} must be a JSON object of tags, got {type(parsed).__name__} "
            f"{value[:40]!r}; pass e.g. {example}"
        )
    return parsed


def metadata_tags(values: tuple[str, ...], option: str = "--metadata") -> dict[str, Any] | None:
    """Repeated metadata options as one object of tags; None when none are given.

    Each value is KEY=VALUE (a string tag) or a JSON object, as `hewer run --metadata`
    takes (for number or boolean tags, e.g. '{"batch": 7}'); a key given twice with
    different values is an error, since a run carries one value per tag.
    """
    if not values:
        return None
    tags: dict[str, Any] = {}
    example = f"{option} customer=acme or {option} '{{\"batch\": 7}}'"
    for value in values:
        if value.lstrip().startswith("{"):
            given = metadata_option(value, option) or {}
        else:
            key, sep, text = value.partition("=")
            if not sep or not key:
                raise HewerError(
                    f"{option} {value!r} is not KEY=VALUE or a JSON object of tags; "
                    f"pass e.g. {example}"
                )
            given = {key: text}
        for key, tag in given.items():
            if key in tags and tags[key] != tag:
                raise HewerError(
                    f"{option} gives tag {key!r} twice ({json.dumps(tags[key])} and "
                    f"{json.dumps(tag)}); a run carries one value per tag, pass one"
                )
            tags[key] = tag
    return tags


def split(values: tuple[str, ...]) -> list[str]:
    """Addresses from repeated options, each possibly comma-separated."""
    return [a.strip() for v in values for a in v.split(",") if a.strip()]


# --- output ------------------------------------------------------------------------


def text(value: Any) -> str:
    """A value as one table cell: JSON for objects and arrays, seconds for timestamps."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


class RunIdType(click.ParamType[str]):
    """A run id argument: a UUID, checked before anything is asked of the database."""

    name = "RUN_ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return str(uuid.UUID(str(value)))
        except ValueError:
            # A one-line error like the others (HewerGroup), not a usage screen.
            raise HewerError(
                f"{value!r} is not a run id: run ids look like "
                "0190c6a2-7d1e-7c3a-9f00-1b2c3d4e5f60 (see hewer runs list)"
            ) from None


RUN_ID = RunIdType()


def event_line(step: str, kind: str, attempt: int, seconds: float) -> str:
    """One line of live progress (hewer dev, hewer runs watch): time since the first event,
    the step (or "run"), what happened, and the attempt."""
    detail = f" (attempt {attempt})" if attempt else ""
    return f"  +{seconds:6.3f}s  {step or 'run':<12} {kind}{detail}"


def brief(value: Any, width: int = 72) -> str:
    """A value in one short table cell: an error as "Type: message", anything else as text;
    cut to `width` characters with "..." (the whole value is in --json and the sections
    below a table)."""
    if isinstance(value, dict) and isinstance(value.get("error"), dict) and "step" in value:
        # A run's error: the failed step's, wrapped.
        return brief(f"step {value['step']} failed: {brief(value['error'], width)}", width)
    if isinstance(value, dict) and "message" in value:
        kind = value.get("type")
        value = f"{kind}: {value['message']}" if kind else str(value["message"])
    cell = " ".join(text(value).split())
    return cell if len(cell) <= width else cell[: width - 3] + "..."


def error_text(error: Any) -> str:
    """An error as people read it: "Type: message", then its traceback as printed lines
    (or the JSON, indented, when it is not the SDKs' {"type", "message", "traceback"})."""
    if isinstance(error, dict) and "message" in error:
        head = brief(error, 1000)
        trace = error.get("traceback")
        rest = {k: v for k, v in error.items() if k not in ("type", "message", "traceback")}
        lines = [head]
        if rest:
            lines.append(json.dumps(rest, indent=2, default=str))
        if isinstance(trace, str) and trace.strip():
            lines.append(trace.rstrip("\n"))
        return "\n".join(lines)
    if isinstance(error, str):
        return error
    return json.dumps(error, indent=2, default=str)


def table(rows: list[dict[str, Any]], columns: list[str], empty: str) -> str:
    """Rows as an aligned table of `columns`; `empty` when there are none."""
    return format_table([{c: text(r.get(c)) for c in columns} for r in rows], columns, empty=empty)


def _set_json(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_JSON_META] = True


_JSON_META = "hewer.json"
JSON_OPTION = click.option(
    "--json",
    is_flag=True,
    expose_value=False,
    callback=_set_json,
    help="Print JSON instead of a table: one object per line (for jq).",
)


def _json_wanted() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(_JSON_META))


def emit(rows: list[dict[str, Any]], columns: list[str], empty: str) -> None:
    """Rows as a table of `columns` (`empty` when none), or with --json as JSON lines of
    every field."""
    if _json_wanted():
        for row in rows:
            click.echo(json.dumps(row, default=str))
    else:
        click.echo(table(rows, columns, empty))


def fields(pairs: list[tuple[str, Any]]) -> None:
    """`key: value` lines, aligned; fields without a value are left out. With --json, one
    JSON object of every field."""
    if _json_wanted():
        click.echo(json.dumps(dict(pairs), default=str))
        return
    shown = [(k, text(v)) for k, v in pairs if v is not None and v != ""]
    width = max(len(k) for k, _ in shown) + 1
    for key, value in shown:
        click.echo(f"{(key + ':').ljust(width)} {value}")


# --- the options of the commands that talk to a dispatcher ---------------------------


_F = TypeVar("_F", bound=Callable[..., Any])


def log_format_option(default: str) -> Callable[[_F], _F]:
    """--log-format: the same flag on the dispatcher and the worker."""
    return click.option(
        "--log-format",
        type=click.Choice(["json", "text"]),
        default=default,
        show_default=True,
        help="Log lines on stderr as JSON objects or as text.",
    )


DISPATCHERS_OPTION = click.option(
    "--dispatcher",
    "dispatchers",
    multiple=True,
    envvar="HEWER_DISPATCHERS",
    help="host:port of a dispatcher (repeatable; default $HEWER_DISPATCHERS, else the one "
    "serving this Hewer home, else 127.0.0.1:7077).",
)


def _token(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """The API token: from --token-file (or $HEWER_TOKEN_FILE), else $HEWER_TOKEN. Never from the
    command line, where every user of the machine sees it (ps, /proc)."""
    if ctx.params.pop("token_argument", None) is not None:
        raise click.UsageError(
            "--token puts the secret on the command line, where any user sees it (ps): "
            "set HEWER_TOKEN, or pass --token-file PATH (HEWER_TOKEN_FILE)"
        )
    if value:
        try:
            content = Path(value).read_text().strip()
        except OSError as exc:
            raise click.BadParameter(f"cannot read {value}: {exc.strerror}") from None
        if not content:
            raise click.BadParameter(f"{value} is empty: put the token in it (hewer tokens create)")
        return content
    return os.environ.get("HEWER_TOKEN") or None


def token_option(command: Any) -> Any:
    """--token-file (and a --token that refuses, with the fix), giving the command `token`."""
    command = click.option(
        "--token-file",
        "token",
        envvar="HEWER_TOKEN_FILE",
        metavar="PATH",
        callback=_token,
        help="File holding the API token (default $HEWER_TOKEN_FILE, else $HEWER_TOKEN).",
    )(command)
    return click.option("--token", "token_argument", hidden=True, is_eager=True, expose_value=True)(
        command
    )
