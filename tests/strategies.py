"""Hypothesis strategies shared by the parity tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


@st.composite
def conv_cases(draw, rank: int, small: bool):
    """Arguments for a ``rank``-D convolution whose kernel fits the padded input."""
    limit = 5 if small else 10
    groups = draw(st.integers(1, 2 if small else 3))
    c_in = groups * draw(st.integers(1, 2 if small else 3))
    c_out = groups * draw(st.integers(1, 2 if small else 3))
    kernel_size = tuple(draw(st.integers(1, 3 if small else 4)) for _ in range(rank))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(rank))
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
        spatial.append(draw(st.integers(smallest, max(smallest, limit) + 2)))
    batch = draw(st.integers(0, 2 if small else 3))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    use_bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *spatial, c_in)).astype(dtype)
    kernel = rng.standard_normal((*kernel_size, c_in // groups, c_out)).astype(dtype)
    bias = rng.standard_normal(c_out).astype(dtype) if use_bias else None
    return dict(x=x, kernel=kernel, bias=bias, strides=strides, padding=padding, dilation=dilation, groups=groups)
