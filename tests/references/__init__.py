"""Independent numpy references, one module per family (never calling metricdsl)."""

import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    globals().update({k: v for k, v in vars(_module).items() if not k.startswith("_")})
