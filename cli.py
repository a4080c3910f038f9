"""The `hewer` command's entry point in a checkout (`python -m cli`, `python cli.py`).

The commands live in pydispatch/cli/ (one module an area, COMMANDS lists them); an installed
hewer's console script calls the same `main`.
"""

from pydispatch.cli import entry, main

__all__ = ["entry", "main"]

if __name__ == "__main__":
    entry()
