"""probabilistic metrics."""

__all__: list[str] = []
