"""A stand-in that makes ``import tensorflow`` fail: put ``tests/without_tensorflow`` first on PYTHONPATH.

``PYTHONPATH=tests/without_tensorflow CONVBOOK_WITHOUT_TENSORFLOW=1 pytest tests/unit src/convbook`` proves
that the TensorFlow-free tier needs neither TensorFlow nor Keras (tests/unit/test_tensorflow_free.py checks
that this stand-in is what ``import tensorflow`` finds).
"""

raise ImportError("tensorflow is made unimportable for the TensorFlow-free tier (tests/without_tensorflow)")
