"""hooks mutants: torch with one realistic bug each in the hooks area (see mutants/catalog.py)."""

from __future__ import annotations
