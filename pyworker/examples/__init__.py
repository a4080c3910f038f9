"""Example workflows shipped with Hewer (used by `hewer dev`)."""
