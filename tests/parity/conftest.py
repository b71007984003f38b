"""The TensorFlow tier: makes its helper `reference` (TensorFlow's convolution) importable as a top-level module."""

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
