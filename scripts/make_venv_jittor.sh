#!/usr/bin/env bash
# Build .venv-jittor: nnconform (with the pinned CPU torch from constraints.txt) plus Jittor, kept apart
# from the project's own .venv. Run from anywhere; it works in the repository root.
#
# Jittor compiles its C++ core on the first import. The settings below (read by jittor from the
# environment; adapters/jittor_adapter.py sets the same ones before it imports jittor) keep that
# compilation CPU-only and inside the git-ignored venv:
#   nvcc_path=   (empty) never look for CUDA, even where nvcc exists;
#   use_mkl=0    no oneDNN download (the machine may have no network at test time);
#   JITTOR_HOME  the compiled core and kernels go to $JITTOR_HOME/.cache/jittor/... (default: the home
#                directory). Jittor records a non-default JITTOR_HOME in ~/.cache/jittor/config.json.
# The first import takes many minutes on 2 cores; later imports reuse the cache.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv-jittor
# jittor 1.3.9 and later require numpy<2, which conflicts with constraints.txt's numpy pin (with that pin
# pip silently falls back to jittor 1.3.8.5, from 2023). So the project and its `jittor` extra (see
# pyproject.toml) are installed with constraints.txt less its numpy line: torch and every other pin stay
# exact, and numpy comes out as the newest 1.x.
constraints="$(mktemp)"
trap 'rm -f "$constraints"' EXIT
grep -v '^numpy' constraints.txt > "$constraints"
.venv-jittor/bin/python -m pip install -c "$constraints" -e ".[jittor]"
export nvcc_path="" use_mkl=0 JITTOR_HOME="$PWD/.venv-jittor/jittor-home"
mkdir -p "$JITTOR_HOME"
# First import: compiles jittor's core under JITTOR_HOME, then a tiny op so the first kernels exist too.
.venv-jittor/bin/python -c "
import numpy, torch, jittor as jt
print('numpy', numpy.__version__, 'torch', torch.__version__, 'jittor', jt.__version__)
print('check', (jt.array([1.0, 2.0]) * 2).numpy())
"
