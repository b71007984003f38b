"""convbook.shapes against hand-worked values and against the oracle's padding rules (Keras': tests/parity)."""

from __future__ import annotations

import math

import oracle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convbook import shapes


@pytest.mark.parametrize(
    ("n", "k", "s", "padding", "d", "expected"),
    [
        (6, 2, 1, "valid", 1, (0, 0)),
        (6, 2, 1, "same", 1, (0, 1)),  # total 1: the odd zero goes at the end
        (6, 3, 1, "same", 1, (1, 1)),
        (6, 3, 2, "same", 1, (0, 1)),  # ceil(6/2)=3: (3-1)*2 + 3 - 6 = 1
        (7, 3, 2, "same", 1, (1, 1)),  # ceil(7/2)=4: (4-1)*2 + 3 - 7 = 2
        (5, 1, 3, "same", 1, (0, 0)),  # a 1-tap kernel never needs padding
        (4, 3, 1, "same", 2, (2, 2)),  # dilated extent 5: total 4
        (4, 3, 1, "causal", 2, (4, 0)),
        (4, 3, 1, "full", 1, (2, 2)),
        (4, 3, 1, 2, 1, (2, 2)),
        (4, 3, 1, (1, 3), 1, (1, 3)),
    ],
)
def test_padding_amounts_by_hand(n, k, s, padding, d, expected):
    assert shapes.padding_amounts(n, k, s, padding, d) == expected


@pytest.mark.parametrize(
    ("n", "k", "s", "padding", "d", "expected"),
    [
        (6, 2, 1, "valid", 1, 5),
        (6, 2, 1, "same", 1, 6),
        (7, 3, 2, "valid", 1, 3),  # floor((7-3)/2) + 1
        (8, 3, 2, "valid", 1, 3),  # floor((8-3)/2) + 1: the last column is never read
        (7, 3, 2, "same", 1, 4),
        (6, 3, 1, "valid", 2, 2),  # extent 5
        (3, 2, 1, "full", 1, 4),
        (2, 3, 1, "valid", 1, 0),  # the kernel does not fit
    ],
)
def test_output_size_by_hand(n, k, s, padding, d, expected):
    assert shapes.output_size(n, k, s, padding, d) == expected


@settings(max_examples=100)
@given(
    n=st.integers(1, 30),
    k=st.integers(1, 7),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
    padding=st.sampled_from(["valid", "same", "causal", "full"]),
)
def test_padding_and_output_size_match_the_oracle(n, k, s, d, padding):
    (before, after) = oracle.pads(padding, (n,), (k,), (s,), (d,))[0]
    assert shapes.padding_amounts(n, k, s, padding, d) == (before, after)
    extent = (k - 1) * d + 1
    expected = max((n + before + after - extent) // s + 1, 0) if n + before + after >= extent else 0
    assert shapes.output_size(n, k, s, padding, d) == expected
    if padding == "same":
        assert expected == math.ceil(n / s)


@settings(max_examples=60)
@given(
    n=st.integers(1, 8),
    k=st.integers(1, 5),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
    padding=st.sampled_from(["valid", "same"]),
    output_padding=st.none() | st.integers(0, 3),
)
def test_transpose_output_size_matches_the_oracle(n, k, s, d, padding, output_padding):
    if output_padding is not None and output_padding >= s:
        with pytest.raises(ValueError, match="output_padding must be smaller than the stride"):
            shapes.transpose_output_size(n, k, s, padding, output_padding, d)
        return
    assert shapes.transpose_output_size(n, k, s, padding, output_padding, d) == oracle.transpose_size(
        n, k, s, padding, output_padding, d
    )


def test_conv_padding_forms():
    assert shapes.conv_padding((6, 7), 3, 2, "same") == ((0, 1), (1, 1))
    assert shapes.conv_padding((6, 7), (3, 1), 1, 1) == ((1, 1), (1, 1))
    assert shapes.conv_padding((6, 7), 3, 1, ((1, 2), 0)) == ((1, 2), (0, 0))
    assert shapes.conv_padding((6,), 3, 1, (1, 2)) == ((1, 2),)
    assert shapes.conv_output_shape((28, 28), 5, strides=2, padding="same") == (14, 14)


def test_receptive_field():
    assert shapes.receptive_field([(3,), (3,), (3,)]) == shapes.ReceptiveField(size=7, jump=1)
    # 3x3 stride 2 then 3x3: the second layer's taps are 2 input positions apart: 3 + 2*2 = 7
    assert shapes.receptive_field([(3, 2), (3, 1)]) == shapes.ReceptiveField(size=7, jump=2)
    # WaveNet-style dilations 1, 2, 4, 8 with k=2: 1 + 1 + 2 + 4 + 8 = 16
    assert shapes.receptive_field([(2, 1, 1), (2, 1, 2), (2, 1, 4), (2, 1, 8)]).size == 16
    assert shapes.receptive_field([]) == shapes.ReceptiveField(size=1, jump=1)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: shapes.normalize_tuple(0, 2, "strides"), ValueError, "strides must be a positive int"),
        (lambda: shapes.normalize_tuple((1, 2, 3), 2, "strides"), ValueError, "got \\(1, 2, 3\\) with 3 entries"),
        (lambda: shapes.normalize_tuple(1.5, 1, "dilation_rate"), TypeError, "dilation_rate must be"),
        (lambda: shapes.normalize_tuple(True, 1, "strides"), TypeError, "strides must be"),
        (lambda: shapes.padding_amounts(5, 3, 1, "smae"), ValueError, "padding must be 'valid', 'same'"),
        (lambda: shapes.padding_amounts(5, 3, 1, -1), ValueError, "padding must be a non-negative int"),
        (lambda: shapes.conv_padding((5, 5), 3, 1, "causal"), ValueError, "only defined for 1D"),
        (lambda: shapes.conv_padding((5, 5), 3, 1, (1, 2, 3)), ValueError, "one entry per spatial axis"),
        (lambda: shapes.receptive_field([(3, 0)]), ValueError, "layers\\[0\\] stride must be a positive"),
        (lambda: shapes.receptive_field([3]), TypeError, "layers\\[0\\] must be a tuple"),
    ],
)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()
