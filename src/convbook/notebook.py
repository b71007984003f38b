"""One call that prepares a chapter's notebook: quiet TensorFlow, seeds, print options.

TensorFlow's C++ runtime writes log lines (the oneDNN notice among them) straight
to the process's standard error when it loads, below Python, and Jupyter shows
them as cell output. ``TF_CPP_MIN_LOG_LEVEL`` hides most of them; the rest are
kept out of the notebook by pointing file descriptor 2 at ``/dev/null`` while
TensorFlow loads, and TensorFlow's Python logger is set to report errors only.
Nothing about TensorFlow's behaviour or speed changes.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Iterator
from types import ModuleType

import numpy as np

__all__ = ["code_without_docstrings", "quiet_stderr", "setup_notebook"]


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send everything written to file descriptor 2 to ``/dev/null`` inside the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def code_without_docstrings(obj: type | Callable[..., object]) -> str:
    """The source of a function or class as it runs, with its docstrings left out.

    A chapter that shows the code it runs prints this rather than a slice of the source: the
    signature, every statement and comment stay; the docstrings of the object and of everything
    defined inside it (a class's methods) go, because the chapter's prose says what they say.

    Parameters
    ----------
    obj : function or class
        Anything ``inspect.getsource`` accepts that is defined in a file.

    Returns
    -------
    str
        The dedented source lines without the docstring lines, joined by newlines.

    Examples
    --------
    >>> from convbook.shapes import output_size
    >>> code = code_without_docstrings(output_size)
    >>> code.startswith("def output_size(")
    True
    >>> "Parameters" in code
    False
    """
    if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismethod(obj)):
        raise TypeError(f"obj must be a function or a class, got {type(obj).__name__}")
    source = textwrap.dedent(inspect.getsource(obj))
    lines = source.splitlines()
    docstring_lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                end = first.end_lineno or first.lineno
                docstring_lines.update(range(first.lineno, end + 1))
                if end < len(lines) and not lines[end].strip():  # the blank line after a docstring
                    docstring_lines.add(end + 1)
    kept = [line for number, line in enumerate(lines, start=1) if number not in docstring_lines]
    return "\n".join(kept)


def setup_notebook(seed: int = 0, precision: int = 4, *, deterministic: bool = False) -> ModuleType:
    """Import Keras quietly, seed every random generator, set NumPy's print options.

    Parameters
    ----------
    seed : int, default 0
        Passed to ``keras.utils.set_random_seed``, which seeds Python's
        ``random``, NumPy's global generator and TensorFlow's.
    precision : int, default 4
        Digits NumPy prints after the decimal point (small values are not
        shown in scientific notation).
    deterministic : bool, default False
        Also make TensorFlow reproducible run after run: one thread for its operations (so sums are
        always added in the same order) and ``tf.config.experimental.enable_op_determinism()``. For
        notebooks that train; it must come before TensorFlow runs its first operation.

    Returns
    -------
    module
        The ``keras`` module, ready to use.
    """
    # 3 hides the C++ runtime's INFO, WARNING and ERROR log lines (its errors that matter raise exceptions).
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    with quiet_stderr():
        import keras
        import tensorflow as tf  # loads the C++ runtime, and its log lines, now

    if deterministic:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        tf.config.experimental.enable_op_determinism()

    # TensorFlow's Python-side warnings (e.g. about retracing a function for new shapes) are log lines too.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    keras.utils.set_random_seed(seed)
    np.set_printoptions(precision=precision, suppress=True)
    return keras
