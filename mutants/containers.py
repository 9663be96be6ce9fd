"""containers mutants: torch with one realistic bug each in the containers area (see mutants/catalog.py)."""

from __future__ import annotations
