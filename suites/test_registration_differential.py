"""Differential test of the registration area: random programs on the candidate and the oracle.

The state machine builds modules, parameters, tensors and buffers, wires them into trees (shared
children and parameters, None slots, invalid names, replacement between kinds), and after every step
compares everything observable about every module on both sides.

Programs use only the features the candidate has (its capabilities), and the test names a clause that
requires a capability only for a candidate that has it (``clause_when_capable``): a framework without,
say, ``nn.Buffer`` still gets a verdict on every other clause.
"""

from __future__ import annotations

import itertools
import re
import sys

import numpy as np
import pytest
from hypothesis import Phase, assume, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from adapters.base import Candidate
from nnconform.spec import load_spec
from suites.support.differential import Lockstep, Step
from suites.support.registration_ops import (
    INVALID_NAMES,
    ORDINARY_NAMES,
    STATEMENT_CLAUSES,
    STATEMENT_REQUIRES,
    TAKEN_NAMES,
    all_clauses,
    assign,
    delete,
    module_queries,
    parameter_queries,
)

MAX_MODULES = 7
MAX_OBJECTS = 5
SHAPES = ((), (2,), (1, 3), (0,))
OBJECT_VARIABLE = re.compile(r"\b([mp]\d+)\b")
# Steps that change parameters of a whole subtree: after them every parameter is observed.
PARAMETER_WIDE_STEPS = frozenset({"requires_grad_", "zero_grad"})

names = st.sampled_from(ORDINARY_NAMES * 6 + TAKEN_NAMES + INVALID_NAMES)
paths = st.lists(st.sampled_from(ORDINARY_NAMES[:3]), min_size=1, max_size=3).map(".".join) | st.just("")


@st.composite
def arrays(draw: st.DrawFn, shape: tuple[int, ...] | None = None) -> np.ndarray:
    shape = draw(st.sampled_from(SHAPES)) if shape is None else shape
    size = int(np.prod(shape))
    values = draw(st.lists(st.integers(-4, 4), min_size=size, max_size=size))
    return np.array(values, dtype=np.float32).reshape(shape)


def tensor_source(values: np.ndarray) -> str:
    return f"tensor({values.tolist()!r})"


_REQUIRES = {cid: clause.requires for cid, clause in load_spec().clauses.items()}
# what a module just made shows of itself, before any step changed it
NEW_MODULE_CLAUSES = ("REG-TRAIN-DEFAULT",)


def _made_by(step: Step) -> str | None:
    """The variable a step makes a new object for (``X = track('X', ...)``), if it is such a step."""
    found = re.match(r"(\w+) = track\(", step.source) if step.kind == "create" else None
    return found.group(1) if found else None


UNGATED_CLAUSES = sorted(c for c in all_clauses() if not _REQUIRES[c])
GATED_CLAUSES = sorted(c for c in all_clauses() if _REQUIRES[c])


def build_machine(candidate: Candidate, oracle: Candidate, failure_context: object) -> type:
    lacks = candidate.lacks

    def supported(requires: tuple[str, ...]) -> bool:
        return not set(requires) & lacks

    def enabled(kind: str):
        return precondition(lambda self: supported(STATEMENT_REQUIRES.get(kind, ())))

    queries_for_module = [q for q in module_queries("{var}") if supported(q.requires)]
    queries_for_param = [q for q in parameter_queries("{var}") if supported(q.requires)]

    class RegistrationPrograms(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.run = Lockstep(candidate, oracle, failure_context)
            self.counter = itertools.count()
            self.module_vars: list[str] = []
            self.param_shapes: dict[str, tuple[int, ...]] = {}
            self.tensor_vars: list[str] = []

        # --- creating objects ------------------------------------------------------------------

        def _create(self, prefix: str, source: str) -> str:
            var = f"{prefix}{next(self.counter)}"
            self.run.step(Step("create", f"{var} = track({var!r}, {source})"), STATEMENT_CLAUSES["create"])
            return var

        def _new_module(self) -> str:
            var = self._create("m", "Node()")
            self.module_vars.append(var)
            return var

        @initialize(count=st.integers(2, 4))
        def start_with_modules(self, count: int) -> None:
            for _ in range(count):
                self._new_module()

        @precondition(lambda self: len(self.module_vars) < MAX_MODULES)
        @rule()
        def new_module(self) -> None:
            self._new_module()

        @precondition(lambda self: len(self.param_shapes) < MAX_OBJECTS)
        @rule(values=arrays(), requires_grad=st.sampled_from([None, True, False]))
        def new_parameter(self, values: np.ndarray, requires_grad: bool | None) -> None:
            flag = "" if requires_grad is None else f", requires_grad={requires_grad}"
            var = self._create("p", f"nn.Parameter({tensor_source(values)}{flag})")
            self.param_shapes[var] = values.shape

        @precondition(lambda self: len(self.tensor_vars) < MAX_OBJECTS)
        @rule(values=arrays())
        def new_tensor(self, values: np.ndarray) -> None:
            self.tensor_vars.append(self._create("t", tensor_source(values)))

        @precondition(lambda self: len(self.tensor_vars) < MAX_OBJECTS and supported(("buffer_class",)))
        @rule(values=arrays(), persistent=st.booleans())
        def new_buffer_object(self, values: np.ndarray, persistent: bool) -> None:
            source = f"nn.Buffer({tensor_source(values)}, persistent={persistent})"
            self.tensor_vars.append(self._create("t", source))

        # --- choosing operands -----------------------------------------------------------------

        def _module(self, data: st.DataObject) -> str:
            return data.draw(st.sampled_from(self.module_vars), label="module")

        def _child_of(self, parent: str, data: st.DataObject) -> str | None:
            """A module that may become a child of ``parent`` without making a cycle (edges go forward)."""
            later = self.module_vars[self.module_vars.index(parent) + 1 :]
            return data.draw(st.sampled_from(later), label="child") if later else None

        def _operand(self, parent: str, data: st.DataObject, kinds: str, extras: tuple[str, ...]) -> str:
            """A value of one of the kinds m(odule), p(arameter), t(ensor), or one of the literal extras."""
            options: list[str] = list(extras)
            if "m" in kinds and (child := self._child_of(parent, data)) is not None:
                options += [child] * 3
            if "p" in kinds:
                options += list(self.param_shapes) * 2
            if "t" in kinds:
                options += self.tensor_vars
            return data.draw(st.sampled_from(options), label="value")

        # --- wiring ----------------------------------------------------------------------------

        @rule(data=st.data(), name=names)
        def set_attribute(self, data: st.DataObject, name: str | int) -> None:
            module = self._module(data)
            value = self._operand(module, data, "mpt", ("None", "7", "'text'"))
            self.run.step(Step("setattr", assign(module, name, value)), STATEMENT_CLAUSES["setattr"])

        @rule(data=st.data(), name=names)
        def register_parameter(self, data: st.DataObject, name: str | int) -> None:
            module = self._module(data)
            value = self._operand(module, data, "pt", ("None",))
            source = f"{module}.register_parameter({name!r}, {value})"
            self.run.step(Step("register_parameter", source), STATEMENT_CLAUSES["register_parameter"])

        @rule(data=st.data(), name=names, persistent=st.sampled_from([None, True, False]))
        def register_buffer(self, data: st.DataObject, name: str | int, persistent: bool | None) -> None:
            if persistent is False:
                assume(supported(("non_persistent_buffers",)))
            module = self._module(data)
            value = self._operand(module, data, "tp", ("None", "7"))
            flag = "" if persistent is None else f", persistent={persistent}"
            source = f"{module}.register_buffer({name!r}, {value}{flag})"
            self.run.step(Step("register_buffer", source), STATEMENT_CLAUSES["register_buffer"])

        @rule(data=st.data(), name=names, method=st.sampled_from(["add_module", "register_module"]))
        def add_module(self, data: st.DataObject, name: str | int, method: str) -> None:
            module = self._module(data)
            value = self._operand(module, data, "mt", ("None",))
            source = f"{module}.{method}({name!r}, {value})"
            self.run.step(Step("add_module", source), STATEMENT_CLAUSES["add_module"])

        @rule(data=st.data(), name=names)
        def delete_attribute(self, data: st.DataObject, name: str | int) -> None:
            self.run.step(Step("delattr", delete(self._module(data), name)), STATEMENT_CLAUSES["delattr"])

        # --- modes and gradients ---------------------------------------------------------------

        @rule(data=st.data(), mode=st.sampled_from(["", "True", "False", "mode=False", "'yes'", "eval"]))
        def train(self, data: st.DataObject, mode: str) -> None:
            module = self._module(data)
            source = f"{module}.eval()" if mode == "eval" else f"{module}.train({mode})"
            self.run.step(Step("train", source, is_expression=True), STATEMENT_CLAUSES["train"])

        @rule(data=st.data(), flag=st.sampled_from(["", "True", "False"]))
        def requires_grad(self, data: st.DataObject, flag: str) -> None:
            step = Step("requires_grad_", f"{self._module(data)}.requires_grad_({flag})", is_expression=True)
            self.run.step(step, STATEMENT_CLAUSES["requires_grad_"])

        @precondition(lambda self: bool(self.param_shapes) and supported(("autograd",)))
        @rule(data=st.data())
        def give_grad(self, data: st.DataObject) -> None:
            param = data.draw(st.sampled_from(list(self.param_shapes)), label="param")
            values = data.draw(arrays(self.param_shapes[param]), label="grad")
            var = f"g{next(self.counter)}"
            source = f"{param}.grad = track({var!r}, {tensor_source(values)})"
            self.run.step(Step("create", source), STATEMENT_CLAUSES["zero_grad"])

        @enabled("zero_grad")
        @rule(data=st.data(), set_to_none=st.sampled_from(["", "set_to_none=True", "set_to_none=False"]))
        def zero_grad(self, data: st.DataObject, set_to_none: str) -> None:
            step = Step("zero_grad", f"{self._module(data)}.zero_grad({set_to_none})", is_expression=True)
            self.run.step(step, STATEMENT_CLAUSES["zero_grad"])

        @rule(data=st.data())
        def apply(self, data: st.DataObject) -> None:
            step = Step("apply", f"apply_order({self._module(data)})", is_expression=True)
            self.run.step(step, STATEMENT_CLAUSES["apply"])

        # --- paths -----------------------------------------------------------------------------

        @enabled("get_submodule")
        @rule(
            data=st.data(), path=paths, kind=st.sampled_from(["get_submodule", "get_parameter", "get_buffer"])
        )
        def look_up(self, data: st.DataObject, path: str, kind: str) -> None:
            step = Step(kind, f"{self._module(data)}.{kind}({path!r})", is_expression=True)
            self.run.step(step, STATEMENT_CLAUSES[kind])

        @enabled("set_submodule")
        @precondition(lambda self: len(self.module_vars) < MAX_MODULES)
        @rule(data=st.data(), path=paths, strict=st.sampled_from(["", ", strict=True", ", strict=False"]))
        def set_submodule(self, data: st.DataObject, path: str, strict: str) -> None:
            module = self._module(data)
            var = self._new_module()
            source = f"{module}.set_submodule({path!r}, {var}{strict})"
            self.run.step(Step("set_submodule", source), STATEMENT_CLAUSES["set_submodule"])

        # --- observation -----------------------------------------------------------------------

        def _observe(self, module_vars: list[str], param_vars: list[str], made: str | None = None) -> None:
            """Compare the queries of these objects. On the module the step just made (``made``) only the
            defaults of a new module can depart: a query blames those of its clauses when it has any."""
            for var in module_vars:
                for q in queries_for_module:
                    clauses = tuple(c for c in q.clauses if c in NEW_MODULE_CLAUSES) if var == made else ()
                    self.run.compare(
                        q.key.format(var=var), q.expression.format(var=var), clauses or q.clauses
                    )
            for var in param_vars:
                for q in queries_for_param:
                    self.run.compare(q.key.format(var=var), q.expression.format(var=var), q.clauses)

        @invariant()
        def touched_objects_agree(self) -> None:
            """After each step, everything observable about the modules and parameters it named."""
            if not self.run.log:
                return
            step = self.run.log[-1][0]
            named = set(OBJECT_VARIABLE.findall(step.source))
            params = list(self.param_shapes) if step.kind in PARAMETER_WIDE_STEPS else []
            self._observe(
                [v for v in self.module_vars if v in named],
                params or [v for v in self.param_shapes if v in named],
                made=_made_by(step),
            )

        def teardown(self) -> None:
            """At the end of a program that ran through, everything observable about every object.

            Observing only what a step named keeps each step cheap (which keeps shrinking fast); this
            final look catches what a step changed elsewhere (in ancestors, descendants, shared objects).
            """
            if sys.exc_info()[0] is None:
                self._observe(self.module_vars, list(self.param_shapes))

    return RegistrationPrograms


@pytest.mark.clause(*UNGATED_CLAUSES)
@pytest.mark.clause_when_capable(*GATED_CLAUSES)
def test_registration_programs_agree_with_oracle(
    cand: Candidate, oracle_cand: Candidate, failure_context: object
) -> None:
    # Hypothesis only finds a failing program; Lockstep.fail shrinks it by replaying the program text,
    # which is far cheaper than hypothesis re-running the machine with its observations.
    no_shrink = settings(phases=[p for p in settings.default.phases if p is not Phase.shrink])
    run_state_machine_as_test(build_machine(cand, oracle_cand, failure_context), settings=no_shrink)
