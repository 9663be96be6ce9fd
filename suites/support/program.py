"""Programs: Python statements run side by side on the candidate and on the oracle.

A generated program is plain Python text. The harness executes each statement in one namespace per
side (``nn`` and ``tensor`` bound to that side's framework) and evaluates query expressions to observe
both. Because the harness runs exactly the text a reproducer script contains, a failure's reproducer
replays what the harness did, with nothing but the candidate installed.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from functools import lru_cache
from types import CodeType
from typing import Any

from adapters.base import Candidate

# Source shared by the harness and every reproducer: tracking of the objects a program creates, and
# normalisation of values into plain data that two frameworks can be compared on.
HELPERS = '''\
import builtins

NAMES = {}  # id(object) -> the program variable that created it
KEEP = []   # keeps tracked objects alive so their ids stay unique


def track(name, obj):
    NAMES[id(obj)] = name
    KEEP.append(obj)
    return obj


def tok(obj):
    """A stable name for an object: its program variable, or a description of what it is."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if id(obj) in NAMES:
        return NAMES[id(obj)]
    if isinstance(obj, (list, tuple)):
        return [tok(x) for x in obj]
    return "<untracked " + type(obj).__name__ + ">"


def child_names(module):
    """The names under which module holds children, in order, a child held twice under both names."""
    return [n for n, _ in module.named_modules(remove_duplicate=False) if n and "." not in n]


def outcome(thunk):
    """What calling thunk() did: ("returns", value) or ("raises", builtin exception class name)."""
    try:
        return ("returns", tok(thunk()))
    except Exception as exc:  # noqa: BLE001 - every exception is an observation
        return ("raises", exception_kind(exc))


def exception_kind(exc):
    """The nearest built-in class of an exception (a framework's own KeyError subclass is a KeyError)."""
    for cls in type(exc).__mro__:
        if getattr(builtins, cls.__name__, None) is cls:
            return cls.__name__
    return type(exc).__name__


def attr(module, name):
    """The value module.<name> reads as, tokenised, or "missing"."""
    try:
        return tok(getattr(module, name))
    except AttributeError:
        return "missing"


def grad_state(param):
    grad = param.grad
    return [bool(param.requires_grad), None if grad is None else [tok(grad), grad.tolist(),
                                                                   bool(grad.requires_grad)]]


def apply_order(module):
    seen = []
    returned = module.apply(lambda m: seen.append(tok(m)))
    return [seen, tok(returned)]


class Node(nn.Module):
    pass
'''


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> CodeType:
    return compile(source, "<nnconform program>", mode)


@dataclass
class Side:
    """One framework's namespace in which a program runs."""

    candidate: Candidate
    env: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env.update({"nn": self.candidate.nn, "tensor": self.candidate.tensor, "__builtins__": builtins})
        exec(_compile(HELPERS, "exec"), self.env)

    def run(self, statement: str) -> tuple[str, Any]:
        """Execute one statement; return ("returns", None) or ("raises", exception kind)."""
        try:
            exec(_compile(statement, "exec"), self.env)
        except Exception as exc:
            return ("raises", self.env["exception_kind"](exc))
        return ("returns", None)

    def query(self, expression: str) -> Any:
        """Evaluate an expression; an exception becomes ("raises", kind) rather than escaping."""
        try:
            return eval(_compile(expression, "eval"), self.env)
        except Exception as exc:
            return ("raises", self.env["exception_kind"](exc))
