"""Wires nnconform's pytest plugin into every pytest run from this checkout."""

pytest_plugins = ["nnconform.plugin"]
