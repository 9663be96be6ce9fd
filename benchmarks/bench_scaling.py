"""How the oracle's cost grows with the size of the module tree, next to torch's.

Run from the checkout:  .venv/bin/python benchmarks/bench_scaling.py [--sizes 10,100,1000,10000] [--repeat 3]

For trees of 10 to 10,000 modules (a balanced tree, branching factor 10, each module holding a 4x4
weight and a persistent buffer) it times, on torch and on the oracle alike: ``state_dict()``,
``load_state_dict()`` of that state, ``list(named_modules())``, ``to(torch.float64)`` and a forward call
through the whole tree with a forward pre-hook and a forward hook on every module (hook dispatch).
It prints milliseconds per operation, the oracle/torch ratio, and the growth from one size to the next
(10x more modules should cost about 10x more where the cost is linear). The garbage collector is off
while an operation is timed, as in timeit: with it on, a collection pass over the freshly built tree
lands in whichever operation happens to trigger it and doubles that figure. No test asserts on these
figures.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BRANCHING = 10


def build_tree(nn: SimpleNamespace, size: int) -> Any:
    """A balanced tree of ``size`` modules whose forward adds each child's output to its own."""

    class Node(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.ones(4, 4))
            self.register_buffer("steps", torch.zeros(4))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = x
            for child in self.children():
                out = out + child(x)
            return out

    root = Node()
    frontier = [root]
    made = 1
    while made < size:
        parent = frontier.pop(0)
        for i in range(BRANCHING):
            if made >= size:
                break
            child = Node()
            parent.add_module(f"c{i}", child)
            frontier.append(child)
            made += 1
    return root


def _hook_everything(nn: SimpleNamespace, root: Any) -> None:
    def pre_hook(module: Any, args: tuple[Any, ...]) -> None:
        return None

    def hook(module: Any, args: tuple[Any, ...], output: Any) -> None:
        return None

    for module in root.modules():
        module.register_forward_pre_hook(pre_hook)
        module.register_forward_hook(hook)


OPERATIONS: dict[str, Callable[[SimpleNamespace, Any, dict[str, Any]], Any]] = {
    "state_dict": lambda nn, root, ctx: root.state_dict(),
    "load_state_dict": lambda nn, root, ctx: root.load_state_dict(ctx["state"]),
    "named_modules": lambda nn, root, ctx: list(root.named_modules()),
    "to(float64)": lambda nn, root, ctx: root.to(torch.float64),
    "hooked forward": lambda nn, root, ctx: ctx["hooked"](ctx["x"]),
}


def time_operation(nn: SimpleNamespace, name: str, size: int, repeat: int) -> float | None:
    """Median seconds of one operation on a fresh tree of ``size`` modules; None where unsupported."""
    samples = []
    for _ in range(repeat):
        root = build_tree(nn, size)
        ctx: dict[str, Any] = {"x": torch.ones(4)}
        try:
            if name == "load_state_dict":
                ctx["state"] = root.state_dict()
            if name == "hooked forward":
                _hook_everything(nn, root)
                ctx["hooked"] = root
            # as timeit does: the collector off while timing, after collecting what building left, so
            # that a collection pass over the freshly built tree is not charged to one side at random
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                with torch.no_grad():
                    OPERATIONS[name](nn, root, ctx)
                samples.append(time.perf_counter() - start)
            finally:
                gc.enable()
        except (AttributeError, NotImplementedError, TypeError) as exc:
            print(f"    ({name} unsupported: {type(exc).__name__}: {exc})", file=sys.stderr)
            return None
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from adapters.oracle_adapter import make_candidate as oracle_candidate
    from adapters.torch_adapter import torch_namespace

    sides = {"torch": torch_namespace(), "oracle": oracle_candidate().nn}
    print(f"scaling, torch {torch.__version__}, median of {args.repeat}; times in ms")
    print(f"{'operation':<16} {'modules':>7} {'torch':>9} {'oracle':>9} {'ratio':>6} {'growth t/o':>12}")
    for name in OPERATIONS:
        previous: dict[str, float | None] = {"torch": None, "oracle": None}
        for size in sizes:
            t = {side: time_operation(nn, name, size, args.repeat) for side, nn in sides.items()}
            ratio = f"{t['oracle'] / t['torch']:.2f}" if t["torch"] and t["oracle"] else "-"
            growth = "/".join(
                f"{t[s] / previous[s]:.1f}x" if t[s] and previous[s] else "-" for s in ("torch", "oracle")
            )
            cells = [f"{t[s] * 1e3:9.2f}" if t[s] is not None else f"{'n/a':>9}" for s in ("torch", "oracle")]
            print(f"{name:<16} {size:>7} {cells[0]} {cells[1]} {ratio:>6} {growth:>12}")
            previous = t


if __name__ == "__main__":
    main()
