"""init mutants: torch with one realistic bug each in the init area (see mutants/catalog.py)."""

from __future__ import annotations
