"""The results file: one JSON object per line, appended and flushed as each test item finishes.

The first line describes the run (``kind: run``); each later line is one item (``kind: item``) with
its clause ids, outcome, duration, candidate and failure text; a run that finishes ends with one
``kind: end`` record. A run that dies part-way still leaves every finished item on disk, and the
missing end record marks it as partial.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import IO, Any

OUTCOMES = ("passed", "failed", "error", "skipped", "not_applicable", "xfailed", "xpassed")
NOT_APPLICABLE_PREFIX = "not applicable:"


class ResultsWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] = path.open("w", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(record, sort_keys=True, default=str) + "\n")
        self._fh.flush()
        with contextlib.suppress(OSError):  # /dev/null or a pipe: nothing to make durable
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


def read_results(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The run header and the item records of a results file (a torn last line is ignored)."""
    header: dict[str, Any] = {}
    items: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record.get("kind") == "run":
            header = record
        elif record.get("kind") == "item":
            items.append(record)
    return header, items


def read_run(path: Path) -> tuple[dict[str, Any], dict[str, Any] | None, list[dict[str, Any]]]:
    """The run header, the end-of-run record (None when the run did not finish) and the items."""
    header: dict[str, Any] = {}
    end: dict[str, Any] | None = None
    items: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a torn last line of a killed run
        kind = record.get("kind")
        if kind == "run":
            header = record
        elif kind == "item":
            items.append(record)
        elif kind == "end":
            end = record
    return header, end, items


def implicated(item: dict[str, Any]) -> list[str]:
    """The clauses a failed item blames: those its failure details name, else all its marker names."""
    details = item.get("details") or {}
    return list(details.get("clauses") or item.get("clauses") or [])
