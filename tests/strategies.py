"""Hypothesis strategies shared by the tests of both tiers (nothing here imports TensorFlow or convbook)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from oracle import maps_back


@st.composite
def conv_cases(draw, rank: int, small: bool, padding_modes: bool = False):
    """Arguments for a ``rank``-D convolution whose kernel fits the padded input.

    With ``padding_modes``, a ``padding_mode`` too, and inputs large enough for it: a reflection
    needs every padding amount smaller than the input. In 3D the volumes stay small (a few
    positions per axis beyond the kernel's extent, dilation up to 2), or the loops and the
    oracle would take seconds per case.
    """
    padding_mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"])) if padding_modes else None
    limit = 3 if rank == 3 else 5 if small else 10
    groups = draw(st.integers(1, 2 if small else 3))
    c_in = groups * draw(st.integers(1, 2 if small else 3))
    c_out = groups * draw(st.integers(1, 2 if small else 3))
    kernel_size = tuple(draw(st.integers(1, 3 if small or rank == 3 else 4)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    dilation = tuple(draw(st.integers(1, 2 if rank == 3 else 3)) for _ in range(rank))
    modes = ["valid", "same", "full", "explicit"] + (["causal"] if rank == 1 else [])
    mode = draw(st.sampled_from(modes))
    if mode == "explicit":
        padding = tuple((draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(rank))
    else:
        padding = mode
    spatial = []
    for axis in range(rank):
        extent = (kernel_size[axis] - 1) * dilation[axis] + 1
        smallest = 1
        if mode == "valid":
            smallest = extent
        elif mode == "explicit":
            smallest = max(1, extent - sum(padding[axis]))
        if padding_mode == "reflect":  # every amount below the size; "same", "full", "causal" pad extent - 1 at most
            smallest = max(smallest, max(padding[axis]) + 1 if mode == "explicit" else extent)
        spatial.append(draw(st.integers(smallest, max(smallest, limit) + 2)))
    batch = draw(st.integers(0, 2 if small else 3))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    use_bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *spatial, c_in)).astype(dtype)
    kernel = rng.standard_normal((*kernel_size, c_in // groups, c_out)).astype(dtype)
    bias = rng.standard_normal(c_out).astype(dtype) if use_bias else None
    case = dict(x=x, kernel=kernel, bias=bias, strides=strides, padding=padding, dilation=dilation, groups=groups)
    if padding_mode is not None:
        case["padding_mode"] = padding_mode
    return case


@st.composite
def transpose_cases(draw, rank: int, keras: bool = False, valid_only: bool = True):
    """Arguments for a ``rank``-D transposed convolution, kernel in Keras' layout ``(*k, filters, c_in)``.

    ``keras``: as Keras' layers accept them (dilation only with strides of 1, a batch, float32).
    ``valid_only``: only an ``output_padding`` that maps back to ``x``'s shape (else any below the stride).
    """
    kernel_size = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    # Keras refuses strides > 1 with dilation > 1, as for the forward convolution.
    dilation = (1,) * rank if max(strides) > 1 else tuple(draw(st.integers(1, 2 if keras else 3)) for _ in range(rank))
    padding = draw(st.sampled_from(["valid", "same"]))
    output_padding = None
    if draw(st.booleans()):
        output_padding = tuple(draw(st.integers(0, s - 1)) for s in strides)
    spatial = tuple(draw(st.integers(1, 6 if keras else 5)) for _ in range(rank))
    if valid_only and output_padding is not None:
        fits = all(
            maps_back(n, k, s, padding, op, d)
            for n, k, s, op, d in zip(spatial, kernel_size, strides, output_padding, dilation, strict=True)
        )
        if not fits:
            output_padding = None
    batch = draw(st.integers(1, 2) if keras else st.integers(0, 2))
    c_in, filters = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = np.float32 if keras else draw(st.sampled_from([np.float32, np.float64]))
    use_bias = True if keras else draw(st.booleans())
    return dict(
        x=rng.standard_normal((batch, *spatial, c_in)).astype(dtype),
        kernel=rng.standard_normal((*kernel_size, filters, c_in)).astype(dtype),
        bias=rng.standard_normal(filters).astype(dtype) if use_bias else None,
        strides=strides,
        padding=padding,
        output_padding=output_padding,
        dilation_rate=dilation,
    )


@st.composite
def pool_cases(draw, nan: bool = False):
    """An input and the options of a 2D pooling; with ``nan``, a few NaN among the values."""
    pool = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    strides = draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    padding = draw(st.sampled_from(["valid", "same"]))
    smallest = pool if padding == "valid" else (1, 1)
    rows, cols = draw(st.integers(smallest[0], 9)), draw(st.integers(smallest[1], 9))
    batch, channels = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((batch, rows, cols, channels)).astype("float32")
    if nan:
        x[rng.random(x.shape) < draw(st.sampled_from([0.0, 0.05, 0.2]))] = np.nan
    return x, dict(pool_size=pool, strides=strides, padding=padding)
