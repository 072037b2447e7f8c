"""Tests of the pure kernels in `metricdsl.functional` (a package: basenames repeat tests/builtin).
"""
