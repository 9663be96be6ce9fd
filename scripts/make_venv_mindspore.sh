#!/usr/bin/env bash
# Build .venv-mindspore: nnconform (with the pinned CPU torch from constraints.txt) plus MindSpore, kept
# apart from the project's own .venv. Run from anywhere; it works in the repository root.
# MindSpore is installed with numpy<2, so the script derives its own constraints file from
# constraints.txt with the numpy pin replaced; every other pin (torch 2.13.0 above all) stays.
# The mindspore CPU wheel is about 800 MB: this needs the network (it never runs in CI).
set -euo pipefail
cd "$(dirname "$0")/.."

constraints="$(mktemp)"
trap 'rm -f "$constraints"' EXIT
grep -v -i '^numpy[=<>!~ ]' constraints.txt > "$constraints"
echo 'numpy<2' >> "$constraints"

python3 -m venv .venv-mindspore
.venv-mindspore/bin/python -m pip install -c "$constraints" -e ".[mindspore]"
# torch must still be the pinned CPU build and must import with the older numpy.
.venv-mindspore/bin/python -c "
import numpy, torch, mindspore
assert torch.__version__.startswith('2.13.0'), torch.__version__
assert int(numpy.__version__.split('.')[0]) < 2, numpy.__version__
torch.from_numpy(numpy.zeros(2)).numpy()
print('numpy', numpy.__version__, 'torch', torch.__version__, 'mindspore', mindspore.__version__)
"
