"""state_dict mutants: torch with one realistic bug each in the state_dict area (see mutants/catalog.py)."""

from __future__ import annotations
