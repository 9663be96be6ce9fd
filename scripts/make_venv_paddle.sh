#!/usr/bin/env bash
# Build .venv-paddle: nnconform (with the pinned CPU torch from constraints.txt) plus PaddlePaddle, kept
# apart from the project's own .venv. Run from anywhere; it works in the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv-paddle
.venv-paddle/bin/python -m pip install -c constraints.txt -e .
# paddlepaddle first with the constraints (so pip can never replace torch or numpy silently); if the
# resolver refuses the numpy pin, retry without -c and report what numpy ended up installed.
if ! .venv-paddle/bin/python -m pip install -c constraints.txt paddlepaddle; then
    echo "paddlepaddle conflicts with constraints.txt; installing it without -c" >&2
    .venv-paddle/bin/python -m pip install paddlepaddle
fi
.venv-paddle/bin/python -c "import numpy, torch, paddle; print('numpy', numpy.__version__, 'torch', torch.__version__, 'paddle', paddle.__version__)"
