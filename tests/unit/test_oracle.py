"""The oracle of the TensorFlow-free tier checked by hand, and checked to be independent of convbook.

tests/parity/test_oracle.py compares it with TensorFlow and Keras as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import oracle
import pytest


def test_the_oracle_imports_neither_convbook_nor_tensorflow():
    tree = ast.parse(Path(oracle.__file__).read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported <= {"__future__", "math", "numpy", "scipy"}


@pytest.mark.parametrize(
    ("n", "k", "s", "d", "expected"),
    [
        (6, 2, 1, 1, (0, 1)),  # total 1: the odd zero goes at the end
        (6, 3, 2, 1, (0, 1)),
        (7, 3, 2, 1, (1, 1)),
        (5, 1, 3, 1, (0, 0)),
        (4, 3, 1, 2, (2, 2)),
    ],
)
def test_same_pads_by_hand(n, k, s, d, expected):
    assert oracle.same_pads(n, k, s, d) == expected


@pytest.mark.parametrize(
    ("x", "kernel", "options", "expected"),
    [
        ([1, 2, 3, 4, 5], [1, 1, 1], dict(strides=2, padding="same"), [3, 9, 9]),
        ([1, 2, 3, 4, 5, 6], [1, 1, 1], dict(strides=2, padding="same"), [6, 12, 11]),
        ([1, 2, 3, 4, 5, 6], [1, 1], dict(dilation=2), [4, 6, 8, 10]),
        ([1, 2, 3], [1, 1], dict(padding="causal"), [1, 3, 5]),
        ([1, 1], [1, 2], dict(padding="full"), [2, 3, 1]),
        ([1, 2], [1, -1], dict(padding=(2, 0)), [0, -1, -1]),
        ([1, 2, 3], [1, 0], {}, [1, 2]),  # cross-correlation: no flip
    ],
)
def test_correlate_1d_by_hand(x, kernel, options, expected):
    y = oracle.correlate(np.reshape(x, (1, -1, 1)), np.reshape(kernel, (-1, 1, 1)), **options)
    assert y.dtype == np.float64 and y[0, :, 0].tolist() == expected


def test_correlate_2d_groups_bias_and_empty_batch_by_hand():
    x = np.stack([np.full((2, 2), 1.0), np.full((2, 2), 10.0)], axis=-1)[None]
    assert oracle.correlate(x, np.array([3.0, 5.0]).reshape(1, 1, 1, 2), groups=2)[0, 0, 0].tolist() == [3, 50]
    blocks = oracle.correlate(np.arange(16.0).reshape(1, 4, 4, 1), np.ones((2, 2, 1, 1)), [1.0], strides=2)
    assert blocks[0, :, :, 0].tolist() == [[11, 19], [43, 51]]
    assert oracle.correlate(np.zeros((0, 7, 5, 3)), np.ones((3, 2, 3, 4)), strides=2, padding="same").shape == (
        0,
        4,
        3,
        4,
    )


def test_transpose_and_pooling_by_hand():
    y = oracle.transpose(np.array([1.0, 10.0]).reshape(1, 2, 1), np.array([1.0, 2.0, 3.0]).reshape(3, 1, 1), strides=2)
    assert y.ravel().tolist() == [1, 2, 13, 20, 30]
    assert (
        oracle.transpose_size(3, 3, 2, "valid", None, 1) == 7 and oracle.transpose_size(3, 3, 2, "same", None, 1) == 6
    )
    x = np.array([[1, 2, 5, 0], [3, 4, 1, 1], [0, 0, 2, 2], [9, 0, 2, 3.0]]).reshape(1, 4, 4, 1)
    assert oracle.max_pool(x)[0, :, :, 0].tolist() == [[4, 5], [9, 3]]
    assert oracle.max_pool(-np.ones((1, 3, 3, 1)), 2, padding="same")[0, :, :, 0].tolist() == [[-1, -1], [-1, -1]]
    assert oracle.average_pool(
        np.array([2.0, 4.0, 9.0]).reshape(1, 1, 3, 1), (1, 2), padding="same"
    ).ravel().tolist() == [3, 9]
    x[0, 0, 0, 0] = np.nan
    assert np.isnan(oracle.max_pool(x)[0, 0, 0, 0])
