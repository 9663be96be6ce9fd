"""lazy mutants: torch with one realistic bug each in the lazy area (see mutants/catalog.py)."""

from __future__ import annotations
