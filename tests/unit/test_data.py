"""convbook.data.oriented_bars."""

from __future__ import annotations

import numpy as np
import pytest

from convbook.data import BAR_CLASSES, oriented_bars


def test_shapes_balance_and_reproducibility():
    images, labels = oriented_bars(40, size=12, seed=3)
    assert images.shape == (40, 12, 12, 1) and images.dtype == np.float32
    assert np.bincount(labels).tolist() == [10] * len(BAR_CLASSES)
    again, again_labels = oriented_bars(40, size=12, seed=3)
    np.testing.assert_array_equal(images, again)
    np.testing.assert_array_equal(labels, again_labels)


def test_bars_have_their_orientation():
    images, labels = oriented_bars(60, size=10, noise=0.0, seed=1)
    for image, label in zip(images[..., 0], labels, strict=True):
        rows, cols = np.nonzero(image)
        assert len(rows) >= 3
        if label == 0:
            assert len(set(rows)) <= 2  # one or two rows
        elif label == 1:
            assert len(set(cols)) <= 2
        elif label == 2:
            assert len(set(cols - rows)) <= 2  # constant col - row along "\"
        else:
            assert len(set(cols + rows)) <= 2  # constant col + row along "/"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(n=-1), "n must be a non-negative int"),
        (dict(n=4, size=4), "size must be an int of at least 6"),
        (dict(n=4, noise=-1.0), "noise must be a non-negative number"),
    ],
)
def test_bad_arguments(options, message):
    with pytest.raises(ValueError, match=message):
        oriented_bars(**options)
