"""torch's own module wrappers as candidates.

The suites build plain torch modules as usual; each of these candidates hands the suites, in their
place, what a wrapper or transformation of torch makes of them (``Candidate.prepare``). Only the tests
marked ``wrapped`` observe through ``prepare``; for the others a wrapper candidate reports "not
applicable". A wrapper that refuses a module (``symbolic_trace`` of a module without ``forward``,
``jit.trace`` of a module holding one tensor under two names, ``jit.script`` of a class whose source it
cannot read) makes that test "not applicable" too, with the wrapper's own error as the reason: it is a
limit of the wrapper, not a verdict on a clause. Once a test has judged a tree the wrapper took, a later
tree it refuses is only left out of that test (hypothesis rejects the example, noting the reason).

The tracing wrappers run the module's ``forward``. ``jit.trace`` also needs inputs for it: a module that
has an ``example_inputs()`` method (the suites' trees do) is traced on what it returns, any other module
on no inputs.

Nothing here corrects what a wrapper does: prefixed state-dict keys, saved non-persistent buffers or
dropped submodules are the wrapper's behaviour and must show as failing clauses.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import hypothesis
import pytest

from adapters.base import Candidate
from adapters.torch_adapter import TORCH_PRELUDE, torch_namespace
from nnconform.results import NOT_APPLICABLE_PREFIX


def _compile(module: Any) -> Any:
    import torch

    return torch.compile(module)


def _jit_script(module: Any) -> Any:
    import torch

    return torch.jit.script(module)


def example_inputs(module: Any) -> tuple[Any, ...]:
    """The inputs to trace ``module`` with: what its ``example_inputs()`` returns, else none."""
    make = getattr(module, "example_inputs", None)
    return tuple(make()) if callable(make) else ()


def _jit_trace(module: Any) -> Any:
    import torch

    return torch.jit.trace(module, example_inputs=example_inputs(module))


def _fx_trace(module: Any) -> Any:
    import torch.fx

    return torch.fx.symbolic_trace(module)


def _data_parallel(module: Any) -> Any:
    from torch import nn

    return nn.DataParallel(module)  # on a machine without CUDA it runs the module itself


class _Identity:
    """An identity parametrization, built on first use (the class must derive from torch's Module)."""

    made: type | None = None

    @classmethod
    def module(cls) -> Any:
        if cls.made is None:
            from torch import nn

            class Identity(nn.Module):
                def forward(self, x: Any) -> Any:
                    return x

            cls.made = Identity
        return cls.made()


def _parametrize(module: Any) -> Any:
    from torch.nn.utils import parametrize

    for owner in list(module.modules()):
        for name, value in list(owner.named_parameters(recurse=False)):
            if value is not None:
                parametrize.register_parametrization(owner, name, _Identity.module())
    return module


@dataclass(frozen=True)
class Wrapper:
    name: str
    wrap: Callable[[Any], Any]
    source: str  # the wrapping as it reads in a reproducer: `prepare = ...`
    description: str


WRAPPERS: dict[str, Wrapper] = {
    w.name: w
    for w in (
        Wrapper(
            "torch-compile", _compile, "torch.compile", "torch.compile's OptimizedModule around the tree"
        ),
        Wrapper("torch-jit-script", _jit_script, "torch.jit.script", "the tree compiled by torch.jit.script"),
        Wrapper(
            "torch-jit-trace",
            _jit_trace,
            "lambda m: torch.jit.trace(m, example_inputs=m.example_inputs())",
            "the tree traced by torch.jit.trace on the inputs its example_inputs() gives",
        ),
        Wrapper(
            "torch-fx",
            _fx_trace,
            "torch.fx.symbolic_trace",
            "the GraphModule torch.fx.symbolic_trace makes of the tree",
        ),
        Wrapper(
            "torch-dataparallel", _data_parallel, "nn.DataParallel", "nn.DataParallel around the tree (CPU)"
        ),
        Wrapper(
            "torch-parametrize",
            _parametrize,
            "register_identity_parametrizations",
            "an identity parametrization (torch.nn.utils.parametrize) on every parameter of the tree",
        ),
    )
}


# per candidate name, the tests (pytest node ids) in which the wrapper has taken a tree
_TOOK_A_TREE: dict[str, set[str]] = {}


def _current_test() -> str:
    """The node id of the test pytest is running now ("" outside a test)."""
    return os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]


class WrapperCandidate(Candidate):
    """torch, observed through one of its module wrappers."""

    wrapper: Wrapper

    def prepare(self, module: Any) -> Any:
        test = _current_test()
        took = _TOOK_A_TREE.setdefault(self.name, set())
        try:
            wrapped = self.wrapper.wrap(module)
        except Exception as exc:  # the wrapper refuses this module: a limit of the wrapper, reported as such
            error = f"{type(exc).__name__}: {exc}"
            reason = f"{NOT_APPLICABLE_PREFIX} {self.name} cannot wrap this module: {error}"
            if test in took and hypothesis.currently_in_test_context():
                # The test already judges trees the wrapper took: only this example is dropped (a skip
                # would turn a verdict into "not applicable" as soon as a shrink step met such a tree).
                hypothesis.note(reason)
                hypothesis.reject()
            pytest.skip(reason)
        if test:
            took.add(test)
        return wrapped


PARAMETRIZE_SOURCE = """
from torch.nn.utils import parametrize as _parametrize


class _Identity(nn.Module):
    def forward(self, x):
        return x


def register_identity_parametrizations(module):
    for owner in list(module.modules()):
        for name, value in list(owner.named_parameters(recurse=False)):
            _parametrize.register_parametrization(owner, name, _Identity())
    return module
"""


def make_candidate(name: str) -> Candidate:
    import torch

    wrapper = WRAPPERS[name]
    prelude = TORCH_PRELUDE
    if name == "torch-parametrize":
        prelude += PARAMETRIZE_SOURCE
    prelude += "\n# the suites observe every module tree they built through this wrapper\n"
    prelude += f"prepare = {wrapper.source}\n"
    cand = WrapperCandidate(
        name=name,
        version=torch.__version__,
        nn=torch_namespace(),
        repro_prelude=prelude,
        description=wrapper.description,
    )
    cand.wrapper = wrapper
    return cand
