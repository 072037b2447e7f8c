"""metricdsl's benchmark suite: ``python -m benchmarks.run`` (see `benchmarks.run`)."""
