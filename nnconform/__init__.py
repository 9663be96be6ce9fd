"""nnconform: the conformance suite and reference oracle for PyTorch's ``nn.Module`` system."""

from pathlib import Path

__version__ = "0.1.0"

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "spec"
SUITES_DIR = ROOT / "suites"
