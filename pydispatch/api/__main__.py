"""`python -m pydispatch.api`: write the OpenAPI document to docs/openapi.json (`make
openapi`); with --check, fail when the committed one differs."""

from __future__ import annotations

import sys

from pydispatch.api import openapi_document
from pydispatch.paths import REPO_ROOT


def main(argv: list[str]) -> int:
    target = REPO_ROOT / "docs" / "openapi.json"
    document = openapi_document()
    if "--check" in argv:
        if not target.exists() or target.read_text() != document:
            print(f"{target} is stale: run `make openapi` and commit the result", file=sys.stderr)
            return 1
        return 0
    target.write_text(document)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
