"""``make bench``: how fast and how lean the import pipeline is, each figure beside a raw baseline.

Baselines are measured in the same run on the same machine, so ratios stay
meaningful from one machine to another.  Benchmarks report; they never fail
on a number (the tests check correctness).
"""
