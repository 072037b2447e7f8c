# Names the Metric() DSL puts in scope inside metric methods, for type checkers (pyright reads
# this file from the project root; users can copy it into theirs).
from typing import Any

self: Any
private: Any
super: Any
