"""`hewer children` and `hewer tagged`: a run's child runs, and runs by metadata tags.

Thin wrappers over hewer.run_children and hewer.runs_by_metadata (docs/children.md); cli.py
adds these commands to the `hewer` command.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, Final

import click
from psycopg.rows import dict_row

from pydispatch import tenants_cli
from pydispatch.errors import HewerError
from pydispatch.table import format_table

CHILD_COLUMNS: Final = ["run_id", "workflow", "status", "child_key", "metadata", "created_at"]
TAGGED_COLUMNS: Final = ["run_id", "workflow", "status", "parent_run_id", "metadata", "created_at"]
STATUSES: Final = ["queued", "running", "succeeded", "failed", "cancelled"]


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


def _rows(query: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    with tenants_cli.connect() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query.encode(), params)
        rows = cur.fetchall()
    for row in rows:
        row["metadata"] = json.dumps(row.pop("additional_metadata"), sort_keys=True)
    return rows


@click.command(name="children")
@click.argument("run_id")
def children_cmd(run_id: str) -> None:
    """List the child runs that RUN_ID spawned (oldest first)."""
    try:
        parent = uuid.UUID(run_id)
    except ValueError:
        raise HewerError(
            f"RUN_ID must be a run id like 0190c6a2-7d1e-7c3a-9f00-1b2c3d4e5f60, got {run_id!r}"
        ) from None
    rows = _rows("SELECT * FROM hewer.run_children(ARRAY[%s::uuid])", (parent,))
    click.echo(format_table(rows, CHILD_COLUMNS, empty=f"run {run_id} has no children"))


@click.command(name="tagged")
@click.argument("metadata")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Only runs in this status (repeatable).",
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
def tagged_cmd(metadata: str, statuses: tuple[str, ...], limit: int) -> None:
    """List the runs whose metadata has every tag of METADATA (a JSON object), newest first."""
    tags = metadata_option(metadata, "METADATA")
    rows = _rows(
        "SELECT * FROM hewer.runs_by_metadata(%s::jsonb, %s::hewer.run_status[], %s)",
        (json.dumps(tags), list(statuses) or None, limit),
    )
    click.echo(format_table(rows, TAGGED_COLUMNS, empty="no runs with these tags"))


def register(group: click.Group) -> None:
    """Add the commands to the `hewer` group."""
    group.add_command(children_cmd)
    group.add_command(tagged_cmd)
