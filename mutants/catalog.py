"""The catalog of mutants: variants of torch with one realistic bug each.

A mutant is declared with :func:`mutant` on a function that returns the patched ``nn`` namespace
(usually a subclass of ``torch.nn.Module`` that overrides one method). ``--candidate mutant:<id>``
runs the suites against it; every mutant must make some suite test fail.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import SimpleNamespace

import nnconform
from adapters.base import Candidate

AREA_MODULES = tuple(
    f"mutants.{area}"
    for area in ("registration", "hooks", "state_dict", "apply", "containers", "init", "lazy")
)


@dataclass(frozen=True)
class Mutant:
    id: str
    area: str
    description: str
    build: Callable[[], SimpleNamespace]
    # why the suites cannot catch it, for a mutant known to survive (equivalent to torch, or a gap an
    # issue note describes); empty for every mutant the suites must catch
    survives: str = ""


_CATALOG: dict[str, Mutant] = {}


def mutant(
    mutant_id: str, area: str, description: str, survives: str = ""
) -> Callable[[Callable[[], SimpleNamespace]], Mutant]:
    """Declare a mutant; ``description`` says in one line which bug it has, ``survives`` (rarely) why the
    suites cannot catch it."""

    def register(build: Callable[[], SimpleNamespace]) -> Mutant:
        if mutant_id in _CATALOG:
            raise ValueError(f"mutant id {mutant_id!r} is declared twice")
        entry = Mutant(mutant_id, area, description, build, survives)
        _CATALOG[mutant_id] = entry
        return entry

    return register


def torch_namespace(**overrides: object) -> SimpleNamespace:
    """torch's ``nn`` namespace with some members replaced."""
    from adapters.torch_adapter import torch_namespace as base

    ns = base()
    for key, value in overrides.items():
        setattr(ns, key, value)
    return ns


def all_mutants() -> dict[str, Mutant]:
    for name in AREA_MODULES:
        importlib.import_module(name)
    return dict(_CATALOG)


def known_survivors() -> dict[str, str]:
    """Mutant id -> why it survives, for the mutants declared as known survivors."""
    return {mid: m.survives for mid, m in all_mutants().items() if m.survives}


def candidate(mutant_id: str) -> Candidate:
    """The torch candidate with the mutant's namespace in place of ``torch.nn``."""
    from adapters.torch_adapter import make_candidate

    mutants = all_mutants()
    if mutant_id not in mutants:
        from adapters import CandidateError

        raise CandidateError(f"unknown mutant {mutant_id!r}; known: {', '.join(sorted(mutants))}")
    entry = mutants[mutant_id]
    prelude = (
        "import sys\n\nimport torch\n\n"
        f"sys.path.insert(0, {str(nnconform.ROOT)!r})  # the nnconform checkout that holds mutants/\n"
        "from mutants.catalog import candidate\n\n"
        f"nn = candidate({mutant_id!r}).nn  # {entry.description}\n\n\n"
        'def tensor(values, dtype="float32"):\n'
        "    return torch.tensor(values, dtype=getattr(torch, dtype))\n"
    )
    return replace(
        make_candidate(),
        name=f"mutant:{mutant_id}",
        nn=entry.build(),
        repro_prelude=prelude,
        description=entry.description,
    )
