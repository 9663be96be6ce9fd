"""Candidate adapters and how a ``--candidate`` value finds one.

A value is resolved in this order:
1. a built-in name (``torch``, ``oracle``, and torch's module wrappers ``torch-compile``,
   ``torch-jit-script``, ``torch-jit-trace``, ``torch-fx``, ``torch-dataparallel``, ``torch-parametrize``);
2. ``mutant:<id>``: a deliberately broken torch from the project's mutant catalog;
3. a name that a package registered under the ``nnconform.adapters`` entry-point group;
4. an import path ``package.module:attribute`` whose attribute is a Candidate or a callable returning one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points

from adapters.base import Candidate

ENTRY_POINT_GROUP = "nnconform.adapters"

BUILTIN: dict[str, str] = {
    "torch": "adapters.torch_adapter:make_candidate",
    "oracle": "adapters.oracle_adapter:make_candidate",
}


class CandidateError(LookupError):
    """A ``--candidate`` value that names no adapter, or an adapter that does not load."""


def _wrapper_names() -> list[str]:
    from adapters.torch_wrappers import WRAPPERS

    return list(WRAPPERS)


def known_names() -> list[str]:
    plugin_names = [ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)]
    names = set(BUILTIN) | set(_wrapper_names()) | set(plugin_names)
    return sorted(names) + ["mutant:<id>", "package.module:attribute"]


def _load_attr(path: str) -> object:
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise CandidateError(f"cannot import {module_name!r} for candidate {path!r}: {exc}") from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise CandidateError(
            f"module {module_name!r} has no attribute {attr!r} (candidate {path!r})"
        ) from None


def _as_candidate(obj: object, origin: str) -> Candidate:
    if isinstance(obj, Callable) and not isinstance(obj, Candidate):  # type: ignore[arg-type]
        obj = obj()
    if not isinstance(obj, Candidate):
        raise CandidateError(f"{origin} gave {type(obj).__name__}, not an adapters.base.Candidate")
    return obj


def resolve_candidate(value: str) -> Candidate:
    """Turn a ``--candidate`` value into a Candidate, or fail naming the known candidates."""
    if value in BUILTIN:
        return _as_candidate(_load_attr(BUILTIN[value]), value)
    if value in _wrapper_names():
        from adapters.torch_wrappers import make_candidate

        return make_candidate(value)
    if value.startswith("mutant:"):
        from mutants import catalog

        return catalog.candidate(value.removeprefix("mutant:"))
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == value:
            return _as_candidate(ep.load(), f"entry point {value!r}")
    if ":" in value and "." not in value.partition(":")[2]:
        return _as_candidate(_load_attr(value), value)
    raise CandidateError(f"unknown candidate {value!r}; known: {', '.join(known_names())}")
