"""apply mutants: torch with one realistic bug each in the apply area (see mutants/catalog.py)."""

from __future__ import annotations
