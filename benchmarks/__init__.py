"""Speed and memory measurements that chapter 9 reports.

``python -m benchmarks.conv`` times every convolution method of the book against TensorFlow
and writes ``benchmarks/results/conv.json`` (and ``conv.csv``); ``--quick`` is a reduced run
under a minute. The measuring code itself lives in `convbook.bench`, so the chapter
runs the same code in a smaller size.
"""
