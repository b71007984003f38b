"""A float64 NumPy/SciPy oracle for the TensorFlow-free tests: the textbook definitions, slowly.

Nothing in this module imports convbook, and nothing imports TensorFlow: every rule (TensorFlow's
``same`` padding with the odd pixel at the end, Keras' transposed output sizes, pooling that ignores
the padding) is written out here, from the definitions, independently of the library under test.

``correlate``
    A 1D, 2D or 3D cross-correlation with strides, dilation, groups, bias, every ``padding`` and every
    ``padding_mode``: the input padded with `numpy.pad` (in the mode of `NUMPY_PAD_MODES`), the
    kernel dilated by writing its taps ``d`` apart into zeros, `scipy.signal.correlate`
    (``method="direct"``) per (group, input channel, output channel) at stride 1, then every
    ``s``-th position kept.
``max_pool``, ``average_pool``
    Every window of the real input values: ``np.max`` (a NaN wins) and ``np.mean``.
``transpose``
    The scatter definition of a transposed convolution: every input value stamps the kernel into
    the output ``stride`` positions apart, and the forward convolution's padding is cut off.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.signal

#: `numpy.pad`'s mode for each of PyTorch's padding modes, written out here from the two libraries' manuals.
NUMPY_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _tuple(value, rank):
    return (value,) * rank if isinstance(value, int) else tuple(value)


def same_pads(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TensorFlow's ``SAME`` padding of one axis: ``ceil(n / s)`` outputs, an odd total's extra zero at the end."""
    out = math.ceil(n / s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def pads(padding, spatial, kernel_size, strides, dilation) -> list[tuple[int, int]]:
    """``(before, after)`` per axis for ``"valid"``, ``"same"``, ``"causal"``, ``"full"``, an int or explicit pairs."""
    if (
        len(spatial) == 1
        and isinstance(padding, tuple)
        and len(padding) == 2
        and all(isinstance(p, int) for p in padding)
    ):
        padding = (padding,)  # a 1D (before, after) pair
    result = []
    for axis, (n, k, s, d) in enumerate(zip(spatial, kernel_size, strides, dilation, strict=True)):
        extent = (k - 1) * d + 1
        if padding == "valid":
            result.append((0, 0))
        elif padding == "same":
            result.append(same_pads(n, k, s, d))
        elif padding == "causal":
            result.append((extent - 1, 0))
        elif padding == "full":
            result.append((extent - 1, extent - 1))
        elif isinstance(padding, int):
            result.append((padding, padding))
        else:
            amount = padding[axis]
            result.append((amount, amount) if isinstance(amount, int) else tuple(amount))
    return result


def dilate(kernel: np.ndarray, dilation, rank: int) -> np.ndarray:
    """The kernel with ``d - 1`` zeros between neighbouring taps along every spatial axis."""
    size = [(k - 1) * d + 1 for k, d in zip(kernel.shape[:rank], dilation, strict=True)]
    dilated = np.zeros((*size, *kernel.shape[rank:]))
    dilated[tuple(slice(None, None, d) for d in dilation)] = kernel
    return dilated


def correlate(
    x, kernel, bias=None, *, strides=1, padding="valid", dilation=1, groups=1, padding_mode="zeros"
) -> np.ndarray:
    """Cross-correlation of ``x`` (batch, *spatial, c_in) with ``kernel`` (*k, c_in // groups, c_out), in float64.

    ``y[b, i, o] = bias[o] + sum over c, p of x_padded[b, i * s + p * d, g * c_in_g + c] * kernel[p, c, o]``
    with ``g = o // c_out_g`` (2D alike, per axis).
    """
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    rank = x.ndim - 2
    strides, dilation = _tuple(strides, rank), _tuple(dilation, rank)
    amounts = pads(padding, x.shape[1:-1], kernel.shape[:rank], strides, dilation)
    padded = np.pad(x, [(0, 0), *amounts, (0, 0)], mode=NUMPY_PAD_MODES[padding_mode])
    dilated = dilate(kernel, dilation, rank)
    c_in_g, c_out = kernel.shape[-2:]
    c_out_g = c_out // groups
    out_spatial = tuple(
        (n - e) // s + 1 for n, e, s in zip(padded.shape[1:-1], dilated.shape[:rank], strides, strict=True)
    )
    y = np.zeros((x.shape[0], *out_spatial, c_out))
    if x.shape[0]:
        keep = (slice(None), *(slice(None, None, s) for s in strides))
        for o in range(c_out):
            g = o // c_out_g
            for c in range(c_in_g):
                # The batch is an axis of the correlation too, with a kernel one image deep.
                full = scipy.signal.correlate(
                    padded[..., g * c_in_g + c], dilated[..., c, o][None], mode="valid", method="direct"
                )
                y[..., o] += full[keep]
    if bias is not None:
        y += np.asarray(bias, dtype=np.float64)
    return y


def _pool(x, pool_size, strides, padding, reduce) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    pool = _tuple(pool_size, 2)
    steps = pool if strides is None else _tuple(strides, 2)
    (top, bottom), (left, right) = pads(padding, x.shape[1:3], pool, steps, (1, 1))
    rows = (x.shape[1] + top + bottom - pool[0]) // steps[0] + 1
    cols = (x.shape[2] + left + right - pool[1]) // steps[1] + 1
    y = np.empty((x.shape[0], rows, cols, x.shape[3]))
    for i in range(rows):
        for j in range(cols):
            r0, c0 = i * steps[0] - top, j * steps[1] - left
            # Only the real input values of the window: the padding is ignored, not zeros.
            window = x[:, max(r0, 0) : r0 + pool[0], max(c0, 0) : c0 + pool[1]]
            y[:, i, j] = reduce(window, axis=(1, 2))
    return y


def max_pool(x, pool_size=2, strides=None, padding="valid") -> np.ndarray:
    """Max pooling by the definition: the ``np.max`` of every window's real values (so a NaN wins)."""
    return _pool(x, pool_size, strides, padding, np.max)


def average_pool(x, pool_size=2, strides=None, padding="valid") -> np.ndarray:
    """Average pooling by the definition: the mean of every window's real values."""
    return _pool(x, pool_size, strides, padding, np.mean)


def transpose_size(n: int, k: int, s: int, padding: str, output_padding: int | None, d: int) -> int:
    """Keras' output length of a transposed convolution (``deconv_output_length``)."""
    extent = (k - 1) * d + 1
    if output_padding is None:
        return n * s + max(extent - s, 0) if padding == "valid" else n * s
    pad = extent // 2 if padding == "same" else 0
    return (n - 1) * s + extent - 2 * pad + output_padding


def maps_back(n: int, k: int, s: int, padding: str, output_padding: int | None, d: int) -> bool:
    """Whether the forward convolution of a ``transpose_size``-long input has ``n`` outputs again."""
    length = transpose_size(n, k, s, padding, output_padding, d)
    if length < 1:
        return False
    before, after = pads(padding, (length,), (k,), (s,), (d,))[0]
    extent = (k - 1) * d + 1
    padded = length + before + after
    return padded >= extent and (padded - extent) // s + 1 == n


def transpose(x, kernel, bias=None, *, strides=1, padding="valid", output_padding=None, dilation=1) -> np.ndarray:
    """Transposed convolution by scattering, in float64; ``kernel`` in Keras' layout ``(*k, filters, c_in)``.

    Input value ``x[b, i, c]`` adds ``x[b, i, c] * kernel[p, :, c]`` at position ``i * s + p * d`` of a
    full-length output; the result is that output from the forward convolution's padding ``before``
    on, ``transpose_size`` positions long (zeros where nothing was stamped).
    """
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    rank = x.ndim - 2
    strides, dilation = _tuple(strides, rank), _tuple(dilation, rank)
    extra = (output_padding,) * rank if output_padding is None or isinstance(output_padding, int) else output_padding
    kernel_size = kernel.shape[:rank]
    lengths = [
        transpose_size(n, k, s, padding, op, d)
        for n, k, s, op, d in zip(x.shape[1:-1], kernel_size, strides, extra, dilation, strict=True)
    ]
    befores = [before for before, _ in pads(padding, lengths, kernel_size, strides, dilation)]
    full_size = [
        (n - 1) * s + (k - 1) * d + 1 for n, k, s, d in zip(x.shape[1:-1], kernel_size, strides, dilation, strict=True)
    ]
    full = np.zeros((x.shape[0], *full_size, kernel.shape[-2]))
    for position in np.ndindex(*x.shape[1:-1]):
        for tap in np.ndindex(*kernel_size):
            target = tuple(i * s + p * d for i, p, s, d in zip(position, tap, strides, dilation, strict=True))
            # (batch, c_in) @ (c_in, filters): every image and filter at once.
            full[(slice(None), *target)] += x[(slice(None), *position)] @ kernel[tap].T
    y = np.zeros((x.shape[0], *lengths, kernel.shape[-2]))
    source = tuple(slice(b, min(b + n, f)) for b, n, f in zip(befores, lengths, full_size, strict=True))
    target = tuple(slice(0, max(min(b + n, f) - b, 0)) for b, n, f in zip(befores, lengths, full_size, strict=True))
    y[(slice(None), *target)] = full[(slice(None), *source)]
    if bias is not None:
        y += np.asarray(bias, dtype=np.float64)
    return y


# float32 results against the float64 oracle; float64 ones to rounding error (the FFT's grows with log n).
TOLERANCE = {np.dtype(np.float32): dict(rtol=2e-5, atol=2e-5), np.dtype(np.float64): dict(rtol=1e-10, atol=1e-10)}


def check_convolution(function, case, reference=None, **options):
    """Assert that ``function(x, kernel, bias, ...)`` on a `strategies.conv_cases` case is the reference's result.

    The reference is `correlate` unless another with its signature is given (the parity tier passes
    TensorFlow's). The dtype must be the inputs' (the cases draw one floating dtype for all three
    arrays), the shape the reference's, the numbers equal within `TOLERANCE`; ``options`` go to
    ``function`` only. A case with a ``padding_mode`` passes it to both.
    """
    # A reference that knows no padding modes (TensorFlow's) gets none: the parity cases draw none.
    mode = {"padding_mode": case["padding_mode"]} if "padding_mode" in case else {}
    expected = (reference or correlate)(
        case["x"],
        case["kernel"],
        case["bias"],
        strides=case["strides"],
        padding=case["padding"],
        dilation=case["dilation"],
        groups=case["groups"],
        **mode,
    )
    actual = function(
        case["x"],
        case["kernel"],
        case["bias"],
        strides=case["strides"],
        padding=case["padding"],
        dilation_rate=case["dilation"],
        groups=case["groups"],
        **mode,
        **options,
    )
    assert actual.dtype == case["x"].dtype, (actual.dtype, options)
    assert actual.shape == expected.shape, (actual.shape, expected.shape, options)
    np.testing.assert_allclose(actual, expected, **TOLERANCE[case["x"].dtype], err_msg=str(options))


def transpose_case(case) -> np.ndarray:
    """`transpose` on a `strategies.transpose_cases` case (whose option names are convbook's)."""
    return transpose(
        case["x"],
        case["kernel"],
        case["bias"],
        strides=case["strides"],
        padding=case["padding"],
        output_padding=case["output_padding"],
        dilation=case["dilation_rate"],
    )


def finite_difference(function, array, step=1e-6):
    """Central differences of a scalar function of one array, element by element."""
    grad = np.zeros_like(array)
    for index in np.ndindex(*array.shape):
        original = array[index]
        array[index] = original + step
        up = function()
        array[index] = original - step
        down = function()
        array[index] = original
        grad[index] = (up - down) / (2 * step)
    return grad
