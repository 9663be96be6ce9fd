"""Candidates that exist only for the project's own tests of the plugin."""

from __future__ import annotations

from dataclasses import replace

from adapters.base import Candidate
from adapters.torch_adapter import make_candidate, torch_namespace


def torch_without_buffer_class() -> Candidate:
    """torch, presented as a framework that has no ``nn.Buffer``."""
    ns = torch_namespace()
    del ns.Buffer
    return replace(make_candidate(), name="torch-no-buffer", nn=ns, lacks=frozenset({"buffer_class"}))


def torch_without_extra_state() -> Candidate:
    """torch, presented as a framework without the get_extra_state / set_extra_state protocol."""
    return replace(make_candidate(), name="torch-no-extra-state", lacks=frozenset({"extra_state"}))


def torch_without_lazy_modules() -> Candidate:
    """torch, presented as a framework that has no lazy modules."""
    return replace(make_candidate(), name="torch-no-lazy", lacks=frozenset({"lazy_modules"}))


def torch_without_autograd() -> Candidate:
    """torch, presented as a framework without autograd (the suites then plan no gradients)."""
    return replace(make_candidate(), name="torch-no-autograd", lacks=frozenset({"autograd"}))


not_a_candidate = 42
