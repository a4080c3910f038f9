"""Hewer's test suite (a package so that tests can share helper modules)."""
