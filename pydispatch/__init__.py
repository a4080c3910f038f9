"""pydispatch: the Hewer dispatcher and the Python side of database management."""
