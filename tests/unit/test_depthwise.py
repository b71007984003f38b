"""convbook.depthwise: depthwise and separable convolutions against the oracle."""

from __future__ import annotations

import numpy as np
import oracle
import pytest

from convbook.depthwise import depthwise_conv2d, separable_conv2d

RNG = np.random.default_rng(0)


@pytest.mark.parametrize(
    "options", [dict(), dict(strides=2, padding="same"), dict(dilation_rate=2, padding="same")], ids=str
)
@pytest.mark.parametrize("multiplier", [1, 3])
def test_depthwise_is_one_group_per_channel(options, multiplier):
    x = RNG.standard_normal((2, 9, 8, 4))
    kernel = RNG.standard_normal((3, 3, 4, multiplier))
    bias = RNG.standard_normal(4 * multiplier)
    # Output channel c * m + j is input channel c filtered by kernel[:, :, c, j].
    expected = np.concatenate(
        [
            oracle.correlate(
                x[..., c : c + 1],
                kernel[:, :, c : c + 1, j : j + 1],
                bias[c * multiplier + j : c * multiplier + j + 1],
                strides=options.get("strides", 1),
                padding=options.get("padding", "valid"),
                dilation=options.get("dilation_rate", 1),
            )
            for c in range(4)
            for j in range(multiplier)
        ],
        axis=-1,
    )
    np.testing.assert_allclose(depthwise_conv2d(x, kernel, bias, **options), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("options", [dict(), dict(strides=2, padding="same")], ids=str)
def test_separable_is_depthwise_then_pointwise(options):
    x = RNG.standard_normal((2, 9, 8, 3))
    depthwise = RNG.standard_normal((3, 3, 3, 2))
    pointwise = RNG.standard_normal((1, 1, 6, 5))
    bias = RNG.standard_normal(5)
    depthwise_kernel = depthwise.reshape(3, 3, 1, 6)
    oracle_options = dict(strides=options.get("strides", 1), padding=options.get("padding", "valid"))
    expected = oracle.correlate(oracle.correlate(x, depthwise_kernel, groups=3, **oracle_options), pointwise, bias)
    np.testing.assert_allclose(
        separable_conv2d(x, depthwise, pointwise, bias, **options), expected, rtol=1e-12, atol=1e-12
    )


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"depthwise_kernel must have 4 axes \(kh, kw, c_in, depth_multiplier\)"):
        depthwise_conv2d(np.ones((1, 4, 4, 2)), np.ones((3, 3, 2)))
    with pytest.raises(ValueError, match="depthwise_kernel has 3 input channels but x has 2"):
        depthwise_conv2d(np.ones((1, 4, 4, 2)), np.ones((3, 3, 3, 1)))
    with pytest.raises(ValueError, match=r"pointwise_kernel must have shape \(1, 1, c_in \* m, c_out\)"):
        separable_conv2d(np.ones((1, 4, 4, 2)), np.ones((3, 3, 2, 1)), np.ones((3, 3, 2, 1)))
