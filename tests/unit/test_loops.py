"""convbook.loops: the definition as explicit loops, against the oracle."""

from __future__ import annotations

from hypothesis import given, settings
from oracle import check_convolution
from strategies import conv_cases

import convbook
from convbook.loops import conv1d_loop, conv2d_loop


@settings(max_examples=25)
@given(case=conv_cases(rank=1, small=False, padding_modes=True))
def test_conv1d_loop_matches_the_oracle(case):
    check_convolution(conv1d_loop, case)


@settings(max_examples=25)
@given(case=conv_cases(rank=2, small=True, padding_modes=True))
def test_conv2d_loop_matches_the_oracle(case):
    check_convolution(conv2d_loop, case)


def test_loops_are_the_public_functions():
    assert convbook.conv1d_loop is conv1d_loop and convbook.conv2d_loop is conv2d_loop
