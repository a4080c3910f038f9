"""The pytest side of the chaos suite (marked `chaos`): the scenarios, processes and checks
are in hewer_tools/chaos/, which `hewer chaos` runs too. See docs/chaos.md."""
