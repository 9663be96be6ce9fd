"""Differential test of the containers: random edit programs on the candidate and on the oracle.

The state machine makes leaf modules, parameters and tensors, builds containers of one class from them
(positional, OrderedDict, plain dict, list of pairs), edits them like Python lists and dicts (negative,
out-of-range and non-integer indices, slices, duplicates, modules shared between containers) and after
every step compares the container's contents, keys, types and registered children and parameters on
both sides. ModuleList and ModuleDict are also held against a plain list / dict model of the same edits.
The test runs once per container class, each run naming that class's clauses only, so that one class's
departure gives no verdict on another's. Within a class, a departure blames the clauses of the operation
it shows at (``containers_ops.OP_CLAUSES``): a step's own, or, for an observation after the step, those
of the last operation that touched the observed container plus the observation's own (len, iteration,
keys(), ...). Every container is observed after each step that names it, so the last such operation is
the only one since its observations last agreed.
"""

from __future__ import annotations

import itertools
import re
import sys
from typing import Any

import pytest
from hypothesis import Phase, settings
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
from suites.support.containers_ops import (
    BAD_MODULE_KEYS,
    CLAUSES,
    DICT_KEYS,
    KINDS,
    OP_CLAUSES,
    class_of,
    dict_model_outcome,
    list_model_outcome,
    merge_clauses,
    op_clauses,
    queries,
)
from suites.support.differential import Lockstep, Step

MAX_LEAVES = 6
MAX_CONTAINERS = 8
VARIABLE = re.compile(r"\b(c\d+)\b")

indices = st.integers(-5, 5)
slices = st.tuples(
    st.sampled_from([None, -3, -1, 0, 1, 2, 4]),
    st.sampled_from([None, -2, 0, 1, 3, 5]),
    st.sampled_from([None, None, 1, 2, -1, -2]),
).map(lambda t: slice(*t))


def slice_source(s: slice) -> str:
    return ":".join("" if part is None else str(part) for part in (s.start, s.stop, s.step))


def build_machine(candidate: Candidate, oracle: Candidate, failure_context: Any, focus: str) -> type:
    """The state machine for programs that make and edit containers of class ``focus`` (one of KINDS)."""
    with_state_dict = "state_dict" not in candidate.lacks
    # every name a child is held under needs named_modules(remove_duplicate=False); without the option the
    # names are read from named_children(), which lists a shared child once
    names_of = (
        "child_names({})"
        if "remove_duplicate" not in candidate.lacks
        else "[n for n, _ in {}.named_children()]"
    )

    def making(container_kind: str) -> Any:
        """Precondition of a rule that makes a container of ``container_kind``."""
        return precondition(lambda self: container_kind == focus and len(self.kind) < MAX_CONTAINERS)

    class ContainerPrograms(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.run = Lockstep(candidate, oracle, failure_context)
            self.counter = itertools.count()
            self.leaves: list[str] = []
            self.params: list[str] = []
            self.tensors: list[str] = []
            self.kind: dict[str, str] = {}
            self.models: dict[str, Any] = {}  # ModuleList -> list of tokens, ModuleDict -> dict
            # container variable -> the clauses of the last step that named it (see the module docstring)
            self.blame: dict[str, tuple[str, ...]] = {}

        # --- objects ---------------------------------------------------------------------------

        def _run_step(self, step: Step, clauses: tuple[str, ...]) -> Any:
            """Run a step blaming ``clauses``; they become the blame of every container it names."""
            outcome = self.run.step(step, clauses)
            for var in VARIABLE.findall(step.source):
                self.blame[var] = clauses
            return outcome

        def _create(
            self, prefix: str, source: str, clauses: tuple[str, ...] = CLAUSES[focus]
        ) -> tuple[str, Any]:
            """A new tracked object; the leaves, parameters and tensors exercise no container clause, so a
            departure making them blames all of the class's."""
            var = f"{prefix}{next(self.counter)}"
            outcome = self._run_step(Step("create", f"{var} = track({var!r}, {source})"), clauses)
            return var, outcome

        @initialize(data=st.data(), leaves=st.integers(2, 4))
        def make_leaves(self, data: st.DataObject, leaves: int) -> None:
            self._run_step(Step("create", "import collections"), CLAUSES[focus])
            for _ in range(leaves):
                self.leaves.append(self._create("m", "Node()")[0])
            for values in ([1.0, 2.0], [3.0]):
                self.params.append(self._create("p", f"nn.Parameter(tensor({values!r}))")[0])
                self.tensors.append(self._create("t", f"tensor({values!r})")[0])
            # one container to start with, so that every program edits one
            if focus == "Sequential":
                self.new_sequential(data, data.draw(st.sampled_from(["positional", "ordereddict"])))
            elif focus == "ModuleList":
                self.new_module_list(data, "list")
            elif focus == "ModuleDict":
                self.new_module_dict(data, data.draw(st.sampled_from(["dict", "ordereddict", "pairs"])))
            elif focus == "ParameterList":
                self.new_parameter_list(data)
            else:
                self.new_parameter_dict(data, data.draw(st.sampled_from(["dict", "ordereddict", "pairs"])))

        @precondition(lambda self: len(self.leaves) < MAX_LEAVES)
        @rule()
        def new_leaf(self) -> None:
            self.leaves.append(self._create("m", "Node()")[0])

        def _modules(self, data: st.DataObject, label: str, max_size: int = 4) -> list[str]:
            return data.draw(st.lists(st.sampled_from(self.leaves), max_size=max_size), label=label)

        def _value(self, data: st.DataObject, kind: str) -> str:
            """An element for a container of ``kind`` (sometimes of the wrong type)."""
            if kind in ("ParameterList", "ParameterDict"):
                options = self.params * 2 + self.tensors * 2 + self.leaves[:1] + ["7", "'text'"]
            else:
                options = self.leaves * 4 + ["None", "7", self.tensors[0]]
            return data.draw(st.sampled_from(options), label="value")

        # --- making containers -----------------------------------------------------------------

        def _value_ops(self, *values: str) -> tuple[str, ...]:
            """The operations storing ``values`` in a parameter container: "tensor" for a tensor or a
            Parameter (wrapped, or kept as it is), "non-tensor" for anything else."""
            return tuple("tensor" if v in self.params or v in self.tensors else "non-tensor" for v in values)

        def _register(self, kind: str, source: str, model: Any, clauses: tuple[str, ...]) -> None:
            var, outcome = self._create("c", source, clauses)
            if outcome == ("returns", None):
                self.kind[var] = kind
                if model is not None:
                    self.models[var] = model

        @making("Sequential")
        @rule(data=st.data(), how=st.sampled_from(["positional", "ordereddict", "dict"]))
        def new_sequential(self, data: st.DataObject, how: str) -> None:
            mods = self._modules(data, "modules")
            if how == "positional":
                source = f"nn.Sequential({', '.join(mods)})"
            else:
                names = data.draw(
                    st.lists(
                        st.sampled_from(DICT_KEYS + ("0", "1", "5")),
                        min_size=len(mods),
                        max_size=len(mods),
                        unique=True,
                    ),
                    label="names",
                )
                entries = ", ".join(f"({n!r}, {m})" for n, m in zip(names, mods, strict=True))
                mapping = (
                    f"collections.OrderedDict([{entries}])" if how == "ordereddict" else f"dict([{entries}])"
                )
                source = f"nn.Sequential({mapping})"
            # a numbered Sequential's contents follow a plain list (named ones rename on deletion)
            model = list(mods) if how == "positional" else None
            self._register("Sequential", source, model, op_clauses("Sequential", f"new-{how}"))

        @making("ModuleList")
        @rule(data=st.data(), how=st.sampled_from(["list", "tuple", "none", "empty", "generator"]))
        def new_module_list(self, data: st.DataObject, how: str) -> None:
            mods = self._modules(data, "modules")
            body = ", ".join(mods)
            source = {
                "list": f"nn.ModuleList([{body}])",
                "tuple": f"nn.ModuleList(({body}{',' if mods else ''}))",
                "none": "nn.ModuleList(None)",
                "empty": "nn.ModuleList()",
                "generator": f"nn.ModuleList(x for x in [{body}])",
            }[how]
            model = [] if how in ("none", "empty") else list(mods)
            self._register("ModuleList", source, model, op_clauses("ModuleList", "new"))

        def _pairs(self, data: st.DataObject, kind: str, keys: tuple[Any, ...]) -> list[tuple[Any, str]]:
            count = data.draw(st.integers(0, 4), label="entries")
            return [
                (data.draw(st.sampled_from(keys), label="key"), self._value(data, kind)) for _ in range(count)
            ]

        def _mapping_source(self, pairs: list[tuple[Any, str]], how: str) -> str:
            entries = ", ".join(f"({k!r}, {v})" for k, v in pairs)
            return {
                "dict": f"dict([{entries}])",
                "ordereddict": f"collections.OrderedDict([{entries}])",
                "pairs": f"[{entries}]",
                "list_pairs": "[" + ", ".join(f"[{k!r}, {v}]" for k, v in pairs) + "]",
            }[how]

        @making("ModuleDict")
        @rule(data=st.data(), how=st.sampled_from(["dict", "ordereddict", "pairs", "list_pairs"]))
        def new_module_dict(self, data: st.DataObject, how: str) -> None:
            pairs = self._pairs(data, "ModuleDict", DICT_KEYS)
            pairs = [(k, v) for k, v in pairs if v in self.leaves]
            model: dict[str, str] = {}
            for key, value in pairs:
                model[key] = value
            source = f"nn.ModuleDict({self._mapping_source(pairs, how)})"
            self._register("ModuleDict", source, model, op_clauses("ModuleDict", "new", "update"))

        @making("ParameterList")
        @rule(data=st.data())
        def new_parameter_list(self, data: st.DataObject) -> None:
            values = [self._value(data, "ParameterList") for _ in range(data.draw(st.integers(0, 4)))]
            clauses = op_clauses("ParameterList", "new", *self._value_ops(*values))
            self._register("ParameterList", f"nn.ParameterList([{', '.join(values)}])", None, clauses)

        @making("ParameterDict")
        @rule(data=st.data(), how=st.sampled_from(["dict", "ordereddict", "pairs", "list_pairs"]))
        def new_parameter_dict(self, data: st.DataObject, how: str) -> None:
            pairs = self._pairs(data, "ParameterDict", DICT_KEYS)
            ops = ("new", "update-plain-dict" if how == "dict" else "update")  # a dict: sorted keys
            clauses = op_clauses("ParameterDict", *ops, *self._value_ops(*(v for _, v in pairs)))
            source = f"nn.ParameterDict({self._mapping_source(pairs, how)})"
            self._register("ParameterDict", source, None, clauses)

        # --- editing ---------------------------------------------------------------------------

        def _container(self, data: st.DataObject, *kinds: str) -> str | None:
            options = [v for v, k in self.kind.items() if k in kinds]
            return data.draw(st.sampled_from(options), label="container") if options else None

        def _index(self, data: st.DataObject, allow_slice: bool, allow_str: bool = True) -> Any:
            choices: list[st.SearchStrategy[Any]] = [indices, indices]
            if allow_slice:
                choices.append(slices)
            if allow_str:
                choices.append(st.just("a"))
            return data.draw(st.one_of(*choices), label="index")

        @staticmethod
        def _index_source(index: Any) -> str:
            return slice_source(index) if isinstance(index, slice) else repr(index)

        def _step(self, var: str, source: str, ops: tuple[str, ...], expression: bool = False) -> Any:
            """Run an operation on container ``var``; a departure blames the clauses of ``ops``."""
            clauses = op_clauses(self.kind[var], *ops)
            return self._run_step(Step(self.kind[var], source, is_expression=expression), clauses)

        def _in_range(self, var: str, index: Any) -> bool:
            """Whether ``index`` is an int in [-len, len) of ``var`` (read from the oracle's side)."""
            size = self.run.oracle_side.query(f"len({var})")
            return isinstance(index, int) and isinstance(size, int) and -size <= index < size

        def _lookup(self, var: str, index: Any) -> tuple[str, str]:
            """The source reading ``var[index]`` as plain data, and the operation that reading is."""
            source = f"{var}[{self._index_source(index)}]"
            if isinstance(index, slice):
                return f"[{class_of(source)}, [tok(x) for x in {source}], {names_of.format(source)}]", "slice"
            return source, "index" if self._in_range(var, index) else "index-error"

        def _with_lookup(self, var: str, index: Any, *ops: str) -> tuple[str, ...]:
            """``ops`` of an edit at ``index`` (or slice), with the lookup ``var[index]`` when the candidate's
            already departs from the oracle's there: otherwise a departure of the edit is the edit's own."""
            probe = f"outcome(lambda: {self._lookup(var, index)[0]})"
            if self.run.cand_side.query(probe) != self.run.oracle_side.query(probe):
                return (*ops, self._lookup(var, index)[1])
            return ops

        def _check_model(self, var: str, op: str, args: tuple[Any, ...], outcome: Any) -> None:
            """Apply the same edit to the plain list/dict model; the candidate must agree with it. A
            departure blames what the edit's step blamed, and for the contents also the iteration's
            clauses."""
            if var not in self.models:
                return
            model = self.models[var]
            if isinstance(model, list):
                expected = list_model_outcome(model, op, args)
            else:
                expected = dict_model_outcome(model, op, args)
            if expected[0] == "returns" and expected[1] == "self":
                expected = ("returns", var)
            if op in ("setitem", "delitem", "insert", "update", "clear") and expected[0] == "returns":
                expected = ("returns", None)
            step_clauses = self.blame[var]
            if (
                outcome[0] != expected[0]
                or (expected[0] == "raises" and outcome[1] != expected[1])
                or (op in ("getitem", "pop", "contains") and outcome != expected)
            ):
                self._fail_model(
                    var,
                    f"{op}{args!r}: the container gave {outcome}, a plain "
                    f"{type(model).__name__} gives {expected}",
                    step_clauses,
                )
            contents = list(model) if isinstance(model, list) else list(model.items())
            query = (
                f"[tok(x) for x in {var}]"
                if isinstance(model, list)
                else f"[(k, tok(v)) for k, v in {var}.items()]"
            )
            got = self.run.cand_side.query(query)
            if isinstance(model, dict):
                contents = [list(p) for p in contents]
                got = [list(p) for p in got] if isinstance(got, list) else got
            if got != contents:
                kind = self.kind[var]
                iteration = OP_CLAUSES[kind].get("elements" if isinstance(model, list) else "items()", ())
                self._fail_model(
                    var,
                    f"after {op}{args!r} the container holds {got}, the plain model {contents}",
                    merge_clauses(kind, step_clauses, iteration),
                )

        def _fail_model(self, var: str, message: str, clauses: tuple[str, ...]) -> None:
            model = "list" if isinstance(self.models[var], list) else "dict"
            where = f"{self.kind[var]} {var} departs from a plain Python {model}: {message}"
            program = [s.source for s, _ in self.run.log]
            if failure_context is not None:
                failure_context.record(clauses=list(clauses), where=where, program=program)
            listing = "\n".join(f"  {line}" for line in program)
            raise AssertionError(f"clauses: {', '.join(clauses)}\n{where}\nprogram:\n{listing}")

        @rule(data=st.data())
        def get_item(self, data: st.DataObject) -> None:
            var = self._container(data, "Sequential", "ModuleList", "ParameterList")
            if var is None:
                return
            index = self._index(data, allow_slice=True)
            source, lookup = self._lookup(var, index)
            outcome = self._step(var, source, (lookup,), expression=True)
            if not isinstance(index, slice):
                self._check_model(var, "getitem", (index,), outcome)

        @rule(data=st.data(), part=slices)
        def slice_item(self, data: st.DataObject, part: slice) -> None:
            var = self._container(data, "Sequential", "ModuleList", "ParameterList")
            if var is None:
                return
            source, lookup = self._lookup(var, part)
            self._step(var, source, (lookup,), expression=True)

        @rule(data=st.data())
        def set_item(self, data: st.DataObject) -> None:
            var = self._container(data, "Sequential", "ModuleList", "ParameterList")
            if var is None:
                return
            index = self._index(data, allow_slice=False)
            value = self._value(data, self.kind[var])
            if value == "None":
                value = self.leaves[0]  # a None element is a quirk (CONT-SEQ-SETITEM-NONE)
            if self._in_range(var, index):
                ops = self._with_lookup(var, index, "setitem", *self._value_ops(value))
            elif value in self.leaves or self.kind[var] == "ParameterList":  # any value fits a list
                ops = ("index-error",)
            else:  # which of a bad index and a bad value is reported first is not stated
                ops = ("index-error", "setitem")
            outcome = self._step(var, f"{var}[{index!r}] = {value}", ops)
            if value in self.leaves:
                self._check_model(var, "setitem", (index, value), outcome)

        @rule(data=st.data())
        def delete_item(self, data: st.DataObject) -> None:
            var = self._container(data, "Sequential", "ModuleList")
            if var is None:
                return
            index = self._index(data, allow_slice=True)
            ops = self._with_lookup(var, index, "delitem")
            outcome = self._step(var, f"del {var}[{self._index_source(index)}]", ops)
            self._check_model(var, "delitem", (index,), outcome)

        @rule(data=st.data())
        def pop(self, data: st.DataObject) -> None:
            var = self._container(data, "Sequential", "ModuleList")
            if var is None:
                return
            index = self._index(data, allow_slice=self.kind[var] == "Sequential")
            source = f"{var}.pop({index!r})"  # a slice as slice(...): call arguments take no a:b syntax
            if isinstance(index, slice):
                source = f"[tok(x) for x in {source}]"
            # pop returns what var[index] returns, then deletes it as del does
            outcome = self._step(var, source, self._with_lookup(var, index, "pop"), expression=True)
            if not isinstance(index, slice):
                self._check_model(var, "pop", (index,), outcome)
            else:  # the model follows: popping a slice deletes it as del does (CONT-SEQ-POP)
                deleted = ("returns", None) if outcome[0] == "returns" else outcome
                self._check_model(var, "delitem", (index,), deleted)

        @rule(data=st.data())
        def append(self, data: st.DataObject) -> None:
            var = self._container(data, "Sequential", "ModuleList", "ParameterList")
            if var is None:
                return
            value = self._value(data, self.kind[var])
            if value == "None" and self.kind[var] != "ParameterList":
                value = self.leaves[-1]
            outcome = self._step(var, f"{var}.append({value})", ("append", *self._value_ops(value)), True)
            if value in self.leaves:
                self._check_model(var, "append", (value,), outcome)

        @rule(data=st.data(), how=st.sampled_from(["extend", "iadd"]))
        def extend(self, data: st.DataObject, how: str) -> None:
            var = self._container(data, "Sequential", "ModuleList", "ParameterList")
            if var is None:
                return
            values = [self._value(data, self.kind[var]) for _ in range(data.draw(st.integers(0, 3)))]
            if self.kind[var] != "ParameterList":
                values = [v for v in values if v in self.leaves]
            if how == "iadd" and self.kind[var] == "Sequential":
                return
            ops = ("extend", *self._value_ops(*values))
            if how == "extend":
                outcome = self._step(var, f"{var}.extend([{', '.join(values)}])", ops, expression=True)
            else:
                outcome = self._step(var, f"{var} += [{', '.join(values)}]", ops)
                outcome = ("returns", var) if outcome == ("returns", None) else outcome
            self._check_model(var, "extend", (values,), outcome)

        @rule(data=st.data())
        def insert(self, data: st.DataObject) -> None:
            var = self._container(data, "Sequential", "ModuleList")
            if var is None:
                return
            size = self.run.oracle_side.query(f"len({var})")
            if self.kind[var] == "ModuleList":
                index = data.draw(st.integers(0, size), label="index")  # outside: CONT-ML-INSERT-OUTSIDE
            else:
                if self.run.oracle_side.query(f"all(k.isdigit() for k in {var}._modules)") is not True:
                    return  # CONT-SEQ-INSERT-NAMED is a quirk
                index = data.draw(st.integers(-size - 2, size + 2), label="index")
            value = (
                data.draw(st.sampled_from(self.leaves + ["7"]), label="value")
                if self.kind[var] == "Sequential"
                else data.draw(st.sampled_from(self.leaves), label="value")
            )
            outcome = self._step(var, f"{var}.insert({index}, {value})", ("insert",), expression=True)
            if value in self.leaves and -size <= index <= size:
                if self.kind[var] == "Sequential":
                    outcome = ("returns", None) if outcome == ("returns", var) else outcome
                self._check_model(var, "insert", (index, value), outcome)

        @precondition(lambda self: len(self.kind) < MAX_CONTAINERS)
        @rule(data=st.data(), op=st.sampled_from(["add", "mul", "rmul", "iadd", "imul"]))
        def arithmetic(self, data: st.DataObject, op: str) -> None:
            var = self._container(data, "Sequential", "ModuleList")
            if var is None:
                return
            kind = self.kind[var]
            factor = data.draw(st.sampled_from(["0", "1", "2", "3", "-1", "2.0", "True"]), label="factor")
            other = self._container(data, "Sequential", "ModuleList") or var
            if kind == "ModuleList" and op != "add":
                return
            # a positive int repeats, any other factor is an error; True is both an int and a bool
            repeat = {
                "0": ("mul-error",),
                "-1": ("mul-error",),
                "2.0": ("mul-error",),
                "True": ("mul", "mul-error"),
            }
            ops = {"add": ("add",), "iadd": ("iadd",)}.get(op) or repeat.get(factor, ("mul",))
            if op in ("iadd", "imul"):
                if op == "iadd" and other == var:
                    return  # seq += seq changes the dict during iteration (a torch error, not required)
                if (
                    op == "imul"
                    and self.run.oracle_side.query(f"all(k.isdigit() for k in {var}._modules)") is not True
                ):
                    return  # CONT-SEQ-IMUL-NAMED is a quirk
                operand = other if op == "iadd" else factor
                symbol = "+=" if op == "iadd" else "*="
                self._step(var, f"{var} {symbol} {operand}", ops)
                self.models.pop(var, None)  # the list model does not follow these
                return
            source = {"add": f"{var} + {other}", "mul": f"{var} * {factor}", "rmul": f"{factor} * {var}"}[op]
            if kind == "ModuleList" and data.draw(st.booleans(), label="list operand"):
                source = f"{var} + [{', '.join(self._modules(data, 'modules'))}]"
            self._register(kind, source, None, op_clauses(kind, *ops))

        @rule(data=st.data())
        def contains(self, data: st.DataObject) -> None:
            var = self._container(data, *KINDS)
            if var is None:
                return
            probe = data.draw(st.sampled_from([*self.leaves, "'0'", "'a'", "'b'"]), label="probe")
            if self.kind[var] in ("ParameterList", "Sequential"):
                return
            if self.kind[var] == "ModuleList" and probe.startswith("'"):
                probe = self.leaves[0]
            outcome = self._step(var, f"{probe} in {var}", ("contains",), expression=True)
            self._check_model(
                var, "contains", (probe.strip("'"),) if probe.startswith("'") else (probe,), outcome
            )

        # --- dict edits ------------------------------------------------------------------------

        @rule(data=st.data())
        def dict_set(self, data: st.DataObject) -> None:
            var = self._container(data, "ModuleDict", "ParameterDict")
            if var is None:
                return
            kind = self.kind[var]
            keys = DICT_KEYS + (BAD_MODULE_KEYS if kind == "ModuleDict" else ())
            key = data.draw(st.sampled_from(keys), label="key")
            value = self._value(data, kind)
            outcome = self._step(var, f"{var}[{key!r}] = {value}", ("setitem", *self._value_ops(value)))
            if key in BAD_MODULE_KEYS:
                assert outcome[0] == "raises", f"ModuleDict {var}[{key!r}] = {value} must fail, got {outcome}"
            elif value in self.leaves or value == "None":
                self._check_model(var, "setitem", (key, None if value == "None" else value), outcome)

        @rule(data=st.data(), op=st.sampled_from(["getitem", "delitem", "pop"]))
        def dict_read_remove(self, data: st.DataObject, op: str) -> None:
            var = self._container(data, "ModuleDict", "ParameterDict")
            if var is None:
                return
            keys = list(self.run.oracle_side.query(f"list({var}.keys())"))
            if self.kind[var] == "ModuleDict":
                keys += list(DICT_KEYS)  # missing keys: KeyError
            elif op == "getitem":
                keys.append(1)  # not a str: TypeError (CONT-PD-KEY-TYPE)
            if not keys:
                return
            key = data.draw(st.sampled_from(keys), label="key")
            source = {
                "getitem": f"{var}[{key!r}]",
                "delitem": f"{var}.__delitem__({key!r})",
                "pop": f"{var}.pop({key!r})",
            }[op]
            outcome = self._step(var, source, (op,) if isinstance(key, str) else ("key-type",), True)
            self._check_model(var, op, (key,), outcome)

        @rule(
            data=st.data(), how=st.sampled_from(["dict", "ordereddict", "pairs", "list_pairs", "same_kind"])
        )
        def dict_update(self, data: st.DataObject, how: str) -> None:
            var = self._container(data, "ModuleDict", "ParameterDict")
            if var is None:
                return
            kind = self.kind[var]
            pairs = self._pairs(data, kind, DICT_KEYS)
            if kind == "ModuleDict":
                pairs = [(k, v) for k, v in pairs if v in self.leaves]
            if how == "same_kind":
                source = f"nn.{kind}({self._mapping_source(pairs, 'ordereddict')})"
            else:
                source = self._mapping_source(pairs, how)
            operator = data.draw(
                st.sampled_from(["update", "ior"] if kind == "ParameterDict" else ["update"])
            )
            # the order rule of the argument's kind (a ParameterDict sorts a plain dict's keys), the
            # argument's constructor, |= itself, and the wrapping of what is stored
            ops = (
                "update-plain-dict" if how == "dict" else "update",
                *(("new",) if how == "same_kind" else ()),
                *(("or",) if operator == "ior" else ()),
                *self._value_ops(*(v for _, v in pairs)),
            )
            if operator == "update":
                outcome = self._step(var, f"{var}.update({source})", ops, expression=True)
            else:
                outcome = self._step(var, f"{var} |= {source}", ops)
            ordered = pairs
            if how == "dict":
                ordered = list(dict(pairs).items())
                if kind == "ParameterDict":
                    ordered = sorted(ordered)
            self._check_model(var, "update", (ordered,), outcome)

        @rule(data=st.data(), bad=st.sampled_from(["7", "[7]", "[('a',)]", "[('a', 'b', 'c')]"]))
        def dict_update_bad(self, data: st.DataObject, bad: str) -> None:
            var = self._container(data, "ModuleDict", "ParameterDict")
            if var is not None:
                self._step(var, f"{var}.update({bad})", ("update-error",), expression=True)

        @rule(data=st.data(), op=st.sampled_from(["clear", "popitem", "copy", "setdefault", "get", "or"]))
        def dict_methods(self, data: st.DataObject, op: str) -> None:
            var = self._container(data, "ModuleDict", "ParameterDict")
            if var is None:
                return
            kind = self.kind[var]
            if op == "clear":
                outcome = self._step(var, f"{var}.clear()", ("clear",), expression=True)
                self._check_model(var, "clear", (), outcome)
                return
            if kind == "ModuleDict":
                return
            key = data.draw(st.sampled_from(DICT_KEYS), label="key")
            value = self._value(data, kind)
            source = {
                "popitem": f"{var}.popitem()",
                "copy": f"[(k, tok(v)) for k, v in {var}.copy().items()]",
                "setdefault": f"{var}.setdefault({key!r}, {value})",
                "get": f"{var}.get({key!r}, 'default')",
                "or": f"[(k, tok(v)) for k, v in ({var} | nn.ParameterDict([({key!r}, {value})])).items()]",
            }[op]
            ops = {
                "setdefault": ("dict-method", *self._value_ops(value)),
                "or": ("or", "new", *self._value_ops(value)),  # the right operand is a new ParameterDict
            }.get(op, ("dict-method",))
            self._step(var, source, ops, expression=True)

        # --- observation -----------------------------------------------------------------------

        def _observe(self, var: str) -> None:
            """Compare everything observable about ``var``. A departure blames the last operation that
            named it (the only one since its observations last agreed) and the observation's own clauses."""
            kind = self.kind[var]
            last = self.blame.get(var, CLAUSES[kind])
            for q in queries(var, kind, with_state_dict, names_of):
                own = OP_CLAUSES[kind].get(q.key, ())
                clauses = merge_clauses(kind, last, own)
                if own and self._refused(q.expression):
                    clauses = merge_clauses(kind, own)  # the observation itself is refused (a missing method)
                self.run.compare(f"{var}.{q.key}", q.expression, clauses)

        def _refused(self, expression: str) -> bool:
            """Whether the candidate raises on a query the oracle answers."""

            def raises(seen: Any) -> bool:
                return isinstance(seen, tuple) and seen[:1] == ("raises",)

            return raises(self.run.cand_side.query(expression)) and not raises(
                self.run.oracle_side.query(expression)
            )

        @invariant()
        def touched_containers_agree(self) -> None:
            if not self.run.log:
                return
            for var in set(VARIABLE.findall(self.run.log[-1][0].source)):
                if var in self.kind:
                    self._observe(var)

        def teardown(self) -> None:
            if sys.exc_info()[0] is None:
                for var in self.kind:
                    self._observe(var)

    return ContainerPrograms


@pytest.mark.parametrize(
    "kind", [pytest.param(kind, marks=pytest.mark.clause(*CLAUSES[kind]), id=kind) for kind in KINDS]
)
def test_container_programs_agree_with_oracle_and_models(
    cand: Candidate, oracle_cand: Candidate, failure_context: object, kind: str
) -> None:
    no_shrink = settings(phases=[p for p in settings.default.phases if p is not Phase.shrink])
    run_state_machine_as_test(build_machine(cand, oracle_cand, failure_context, kind), settings=no_shrink)
