"""Timing that is fair on a shared machine: warm up, then the best of several runs."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["best_time"]


def best_time(function: Callable[[], object], *, repeat: int = 5, warmup: int = 1) -> float:
    """Seconds taken by the fastest of ``repeat`` calls of ``function()``, after ``warmup`` calls.

    The minimum, not the mean, is the figure least disturbed by other work on
    the machine; compare functions by the *ratio* of their best times measured
    in the same run, never by an absolute time.

    Parameters
    ----------
    function : callable
        Called with no arguments, ``warmup + repeat`` times.
    repeat : int, default 5
        Timed calls (at least 1).
    warmup : int, default 1
        Untimed calls first (caches, lazy initialisation, JIT).

    Returns
    -------
    float
        Seconds of the fastest timed call.

    Examples
    --------
    >>> best_time(lambda: sum(range(1000)), repeat=3) > 0
    True
    """
    if not callable(function):
        raise TypeError(f"function must be callable; got {type(function).__name__}")
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be a positive int; got {repeat!r}")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be a non-negative int; got {warmup!r}")
    for _ in range(warmup):
        function()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best
