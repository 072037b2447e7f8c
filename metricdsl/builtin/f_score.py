"""f_score metrics."""

__all__: list[str] = []
