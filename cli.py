"""The `hewer` command's entry point in a checkout (`python -m cli`, `python cli.py`).

The commands live in pydispatch/cli/ (one module an area, COMMANDS lists them); an installed
hewer's console script calls the same `main`.
"""

from pydispatch.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    main()
