"""The oracle never leans on torch's module system: checked statically and by poisoning at run time."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nnconform
from nnconform.independence import check_source, check_tree
from nnconform.results import read_results

ORACLE_DIR = nnconform.ROOT / "oracle"
# A slice of the suites that exercises every part of the oracle without taking long.
POISONED_SUITE_ARGS = ["-q", "-p", "no:cacheprovider", "--candidate", "oracle", "-x"]


# Poison first, then import the oracle (from ``oracle_root`` when given, ahead of the checkout's), then
# run pytest in the same process: the suites use whichever ``oracle`` module is already imported.
DRIVER = """
import sys
from nnconform.poison import poison
poison()
if sys.argv[1]:
    sys.path.insert(0, sys.argv[1])
import oracle
assert not sys.argv[1] or oracle.__file__.startswith(sys.argv[1]), oracle.__file__
import pytest
raise SystemExit(int(pytest.main(sys.argv[2:])))
"""


def run_poisoned(
    tmp_path: Path, *targets: str, oracle_root: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Poison torch's module system, then run suites against the oracle."""
    env = dict(os.environ, PYTHONPATH=str(nnconform.ROOT), PYTHONDONTWRITEBYTECODE="1")
    args = [
        sys.executable,
        "-c",
        DRIVER,
        str(oracle_root or ""),
        *POISONED_SUITE_ARGS,
        "--nnc-results",
        str(tmp_path / "results.jsonl"),
        "--rootdir",
        str(nnconform.ROOT),
        "-c",
        str(nnconform.ROOT / "pyproject.toml"),
        *targets,
    ]
    return subprocess.run(args, cwd=nnconform.ROOT, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.parametrize(
    "source",
    [
        "import torch.nn.modules",
        "from torch.nn.modules.module import Module",
        "from torch.nn import Module",
        "from torch.nn import Parameter as P",
        "from torch import nn\nclass Layer(nn.Module):\n    pass",
        "import torch\nok = isinstance(1, torch.nn.Parameter)",
        "import torch.nn as tnn\ntnn.init.zeros_",
        "from torch.nn.utils import parametrize",
        "from torch.utils import hooks",
        "from torch.utils.hooks import RemovableHandle",
        "import importlib\nimportlib.import_module('torch.nn.init')",
    ],
)
def test_static_check_flags_each_route_into_the_module_system(source: str) -> None:
    assert check_source(source), f"the static check missed: {source!r}"


@pytest.mark.parametrize(
    "source",
    [
        "import torch\nx = torch.zeros(2)",
        "import torch.nn.functional as F\ny = F.relu",
        "from torch.nn import functional as F",
        "import torch\nz = torch.nn.functional.linear",
        "import torch.autograd",
    ],
)
def test_static_check_allows_tensors_functional_and_autograd(source: str) -> None:
    assert check_source(source) == [], f"the static check flagged allowed code: {source!r}"


def test_oracle_source_has_no_route_into_the_module_system() -> None:
    assert ORACLE_DIR.is_dir()
    violations = check_tree(ORACLE_DIR)
    assert violations == [], "oracle/ reaches into torch's module system:\n" + "\n".join(map(str, violations))


def test_poison_makes_torch_module_system_unusable(tmp_path: Path) -> None:
    probe = (
        "from nnconform.poison import poison\npoison()\nimport torch\nfailures = 0\n"
        "for stmt in ['import torch.nn.modules', 'from torch.nn import Buffer', 'import torch.nn.init',\n"
        "             'from torch.utils.hooks import RemovableHandle', 'torch.nn.Module()',\n"
        "             'torch.nn.Parameter(torch.ones(1))']:\n"
        "    try:\n        exec(stmt)\n    except Exception:\n        failures += 1\n"
        "    else:\n        print('still works:', stmt)\n"
        "x = torch.ones(2, requires_grad=True)\n(x * 3).sum().backward()\n"
        "assert x.grad.tolist() == [3.0, 3.0]\nprint('failures', failures)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(nnconform.ROOT))
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("failures 6"), done.stdout


def test_suites_pass_on_the_oracle_with_torch_module_system_poisoned(tmp_path: Path) -> None:
    # also the serial run of the suites on the oracle (tests/test_suites_pass.py runs it under xdist)
    done = run_poisoned(tmp_path, str(nnconform.SUITES_DIR))
    assert done.returncode == 0, (
        f"suites failed on the poisoned oracle:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    )
    header, items = read_results(tmp_path / "results.jsonl")
    assert header["candidate"] == "oracle" and items, header
    bad = {i["nodeid"]: i["outcome"] for i in items if i["outcome"] not in ("passed", "skipped")}
    assert not bad, f"the poisoned oracle has items that did not pass: {bad}"


def _oracle_copy(tmp_path: Path, addition: str) -> Path:
    root = tmp_path / "changed"
    shutil.copytree(ORACLE_DIR, root / "oracle", ignore=shutil.ignore_patterns("__pycache__"))
    module = root / "oracle" / "module.py"
    module.write_text(module.read_text(encoding="utf-8") + "\n" + addition, encoding="utf-8")
    return root


def test_independence_check_fails_when_oracle_imports_torch_module(tmp_path: Path) -> None:
    root = _oracle_copy(tmp_path, "from torch.nn import Module as _TorchModule  # noqa: F401\n")
    violations = check_tree(root / "oracle")
    assert any("torch.nn.Module" in str(v) for v in violations), violations


def test_independence_check_fails_when_oracle_builds_on_torch_module(tmp_path: Path) -> None:
    # A sneakier borrowing that no import line shows: reach torch.nn.Module through getattr at run time.
    borrow = (
        "import torch as _t\n_Base = getattr(getattr(_t, 'n' + 'n'), 'Mod' + 'ule')\n"
        "class _Borrowed(_Base):\n    pass\n_Borrowed()\n"
    )
    root = _oracle_copy(tmp_path, borrow)
    assert check_tree(root / "oracle") == [], "this borrowing is meant to slip past the static check"
    done = run_poisoned(
        tmp_path, str(nnconform.SUITES_DIR / "test_registration_register.py"), oracle_root=root
    )
    assert done.returncode != 0, "the poisoned run passed although the oracle instantiates torch.nn.Module"
    assert "nnconform poison" in done.stdout + done.stderr
