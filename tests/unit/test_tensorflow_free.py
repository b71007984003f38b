"""The TensorFlow-free tier is free of TensorFlow: convbook does not import it, and the tier runs without it.

``PYTHONPATH=tests/without_tensorflow CONVBOOK_WITHOUT_TENSORFLOW=1 pytest tests/unit src/convbook`` puts stand-in
``tensorflow`` and ``keras`` packages first on the path, whose import raises; with the variable set, the test
below checks that the stand-ins are indeed what this process would import.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import convbook

SHADOW = Path(__file__).resolve().parents[1] / "without_tensorflow"


def test_importing_every_convbook_module_imports_neither_tensorflow_nor_keras():
    # In a new process: in this one the parity tier, when run alongside, has imported TensorFlow already.
    code = textwrap.dedent(
        """
        import importlib, pkgutil, sys
        import convbook
        names = sorted(m.name for m in pkgutil.iter_modules(convbook.__path__))
        for name in names:
            importlib.import_module(f"convbook.{name}")
        for name in convbook.__all__:
            getattr(convbook, name)
        print(len(names), "tensorflow" in sys.modules, "keras" in sys.modules)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    modules = len(list(pkgutil.iter_modules(convbook.__path__)))
    assert modules >= 19
    assert result.stdout.split() == [str(modules), "False", "False"]


@pytest.mark.parametrize("package", ["tensorflow", "keras"])
def test_the_stand_ins_make_tensorflow_and_keras_unimportable(package):
    environment = dict(os.environ, PYTHONPATH=str(SHADOW))
    code = f"import {package}"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, timeout=60)
    assert result.returncode != 0
    assert f"{package} is made unimportable for the TensorFlow-free tier" in result.stderr
    if os.environ.get("CONVBOOK_WITHOUT_TENSORFLOW") == "1":
        # This run is the TensorFlow-free one: the stand-in is what this process imports too.
        spec = importlib.util.find_spec(package)
        assert spec is not None and Path(spec.origin).resolve() == SHADOW / package / "__init__.py"
        with pytest.raises(ImportError, match="made unimportable"):
            importlib.import_module(package)
        assert package not in sys.modules
