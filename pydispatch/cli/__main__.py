"""`python -m pydispatch.cli`: the `hewer` command, where no console script is on PATH."""

from pydispatch.cli import entry

entry()
