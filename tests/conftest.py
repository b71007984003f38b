"""Test configuration: quiet TensorFlow, reproducible hypothesis runs.

The tests come in two tiers: ``tests/unit`` needs neither TensorFlow nor Keras (convbook against the
NumPy/SciPy oracle of ``tests/oracle.py``, hand-worked cases, regression tests), ``tests/parity``
compares convbook (and the oracle) with TensorFlow and Keras.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from hypothesis import HealthCheck, settings

# "ci" (the default) is derandomized so that every run checks the same examples;
# HYPOTHESIS_PROFILE=explore draws new ones each run.
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The stand-in packages that make TensorFlow unimportable (for the TensorFlow-free tier) raise on import:
# --doctest-modules must not collect them.
collect_ignore = ["without_tensorflow"]
