"""convbook.backward: gradients against the oracle (the adjoint identity) and central finite differences."""

from __future__ import annotations

import numpy as np
import oracle
import pytest
from hypothesis import given, settings
from strategies import conv_cases

import convbook
from convbook.backward import conv1d_backward, conv2d_backward

BACKWARD = {1: conv1d_backward, 2: conv2d_backward}


def options(case):
    return dict(
        strides=case["strides"],
        padding=case["padding"],
        dilation_rate=case["dilation"],
        groups=case["groups"],
        padding_mode=case.get("padding_mode", "zeros"),
    )


@settings(max_examples=40)
@given(case=conv_cases(rank=1, small=False, padding_modes=True) | conv_cases(rank=2, small=False, padding_modes=True))
def test_gradients_satisfy_the_adjoint_identity_of_the_oracle(case):
    """``y = A x`` is linear in ``x`` and in the kernel, so ``<A x, g> = <x, dx> = <kernel, dkernel>``.

    For random ``x``, ``kernel`` and ``g`` a wrong gradient passes only with probability zero; the forward
    convolution here is the oracle's, not convbook's.
    """
    rank = case["x"].ndim - 2
    x, kernel = case["x"].astype(np.float64), case["kernel"].astype(np.float64)
    forward = oracle.correlate(
        x,
        kernel,
        strides=case["strides"],
        padding=case["padding"],
        dilation=case["dilation"],
        groups=case["groups"],
        padding_mode=case["padding_mode"],
    )
    grad_output = np.random.default_rng(1).standard_normal(forward.shape)
    grads = BACKWARD[rank](x, kernel, grad_output, **options(case))
    assert grads.dx.shape == x.shape and grads.dkernel.shape == kernel.shape
    assert grads.dx.flags.c_contiguous
    inner = float(np.sum(forward * grad_output))
    scale = float(np.sum(np.abs(forward) * np.abs(grad_output))) + 1.0
    assert abs(float(np.sum(x * grads.dx)) - inner) <= 1e-11 * scale
    assert abs(float(np.sum(kernel * grads.dkernel)) - inner) <= 1e-11 * scale
    np.testing.assert_allclose(grads.dbias, grad_output.sum(axis=tuple(range(rank + 1))), rtol=1e-12, atol=1e-12)


@settings(max_examples=25)
@given(case=conv_cases(rank=2, small=True, padding_modes=True))
def test_gradients_match_finite_differences(case):
    x = case["x"].astype(np.float64)
    kernel = case["kernel"].astype(np.float64)
    bias = np.zeros(kernel.shape[-1]) if case["bias"] is None else case["bias"].astype(np.float64)
    y = convbook.conv2d(x, kernel, bias, **options(case))
    weights = np.random.default_rng(2).standard_normal(y.shape)

    def loss():
        return float(np.sum(convbook.conv2d(x, kernel, bias, **options(case)) * weights))

    grads = conv2d_backward(x, kernel, weights, **options(case))
    np.testing.assert_allclose(grads.dx, oracle.finite_difference(loss, x), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grads.dkernel, oracle.finite_difference(loss, kernel), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grads.dbias, oracle.finite_difference(loss, bias), rtol=1e-6, atol=1e-6)


def test_gradients_by_hand_1d():
    # y = [x0 - x1, x1 - x2] for w = [1, -1]; with dL/dy = [1, 1]:
    # dL/dw = [x0 + x1, x1 + x2] = [3, 5]; dL/dx = [1, -1 + 1, -1] = [1, 0, -1]; dL/db = 2.
    grads = conv1d_backward(np.array([[[1.0], [2.0], [3.0]]]), np.array([[[1.0]], [[-1.0]]]), np.ones((1, 2, 1)))
    assert grads.dkernel.ravel().tolist() == [3, 5]
    assert grads.dx.ravel().tolist() == [1, 0, -1]
    assert grads.dbias.tolist() == [2]


def test_stride_leaves_unread_inputs_with_zero_gradient():
    # 5 steps, kernel 2, stride 2, valid: the windows cover steps 0-1 and 2-3; step 4 is never read.
    grads = conv1d_backward(np.ones((1, 5, 1)), np.ones((2, 1, 1)), np.ones((1, 2, 1)), strides=2)
    assert grads.dx.ravel().tolist() == [1, 1, 1, 1, 0]


def test_bad_grad_output():
    with pytest.raises(ValueError, match=r"grad_output must have the shape of the convolution's output \(1, 2, 2, 1\)"):
        conv2d_backward(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1)), np.ones((1, 3, 3, 1)))
    with pytest.raises(TypeError, match="grad_output must be an array of real numbers"):
        conv2d_backward(np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1)), "gradient")
    with pytest.raises(ValueError, match="x must have 4 axes"):
        conv2d_backward(np.ones((3, 3, 1)), np.ones((2, 2, 1, 1)), np.ones((1, 2, 2, 1)))


@pytest.mark.parametrize(
    "options",
    [
        dict(padding="same"),
        dict(strides=2, padding="same"),
        dict(padding="full", dilation_rate=2),
        dict(padding=((2, 0), 1)),
    ],
    ids=repr,
)
def test_gradients_are_c_contiguous(options):
    """Regression: dx was a view cut out of the padded gradient, and dkernel a transposed einsum result."""
    rng = np.random.default_rng(0)
    x, kernel = rng.standard_normal((2, 6, 7, 2)), rng.standard_normal((3, 3, 2, 3))
    grad = rng.standard_normal(convbook.conv2d(x, kernel, **options).shape)
    grads = conv2d_backward(x, kernel, grad, **options)
    assert grads.dx.flags.c_contiguous and grads.dx.shape == x.shape
    assert grads.dkernel.flags.c_contiguous and grads.dkernel.shape == kernel.shape
    assert conv1d_backward(
        x[:, 0], kernel[0], grad[:, 0], **{k: v[1] if isinstance(v, tuple) else v for k, v in options.items()}
    ).dx.flags.c_contiguous
