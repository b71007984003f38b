"""convbook.notebook.setup_notebook, which imports Keras and TensorFlow quietly."""

from __future__ import annotations

import os
import subprocess
import sys


def test_setup_notebook_imports_keras_without_log_lines():
    code = (
        "from convbook.notebook import setup_notebook\n"
        "keras = setup_notebook(seed=3, deterministic=True)\n"
        "import numpy as np, tensorflow as tf\n"
        "print(keras.__name__, tf.config.threading.get_intra_op_parallelism_threads(), np.random.rand() < 1)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "keras 1 True"
    assert result.stderr == "", result.stderr
