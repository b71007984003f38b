"""The seed notebooks' examples, with the numbers worked out by hand, and their per-channel loop.

Shared by the unit tier (convbook's functions) and the parity tier (Keras' layers); imports neither.
"""

from __future__ import annotations

import numpy as np

SEED_1D = [0, 1, 0, 1, 1, 0]
SEED_FILTER = [0, 1]  # picks the second element of every window: a one-step shift
SEED_2D = np.tile(SEED_1D, (6, 1))  # six identical rows
SEED_DETECTOR = np.array([[1, 0, 0], [1, 0, 0], [0, 0, 2]])
# With one zero of padding all round, y[i, j] = x[i-1, j-1] + x[i, j-1] + 2 x[i+1, j+1].
# Every row of x is v = (0, 1, 0, 1, 1, 0), so v[j-1] = (0, 0, 1, 0, 1, 1) and v[j+1] = (1, 0, 1, 1, 0, 0):
#   first row (no row above):  v[j-1] + 2 v[j+1]
#   rows 1..4:                2 v[j-1] + 2 v[j+1]
#   last row (no row below):  2 v[j-1]
SEED_2D_EXPECTED = np.array(
    [
        [2, 0, 3, 2, 1, 1],
        [2, 0, 4, 2, 2, 2],
        [2, 0, 4, 2, 2, 2],
        [2, 0, 4, 2, 2, 2],
        [2, 0, 4, 2, 2, 2],
        [0, 0, 2, 0, 2, 2],
    ]
)


def per_channel_loop(image, kernels):
    """The seed's per-channel computation: filter every channel, then add the channel maps."""
    kh, kw, c_in, c_out = kernels.shape
    rows, cols = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    y = np.zeros((rows, cols, c_out))
    for o in range(c_out):
        for c in range(c_in):
            for i in range(rows):
                for j in range(cols):
                    y[i, j, o] += np.sum(kernels[:, :, c, o] * image[i : i + kh, j : j + kw, c])
    return y
