"""A stand-in that makes ``import keras`` fail: see tests/without_tensorflow/tensorflow/__init__.py."""

raise ImportError("keras is made unimportable for the TensorFlow-free tier (tests/without_tensorflow)")
