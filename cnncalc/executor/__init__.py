"""The NumPy executor: runs a built network forward and backward to prove its shapes.

Importing this package does not import NumPy (the calculator's import path must not need
it); `run` and the result types load `runner` on first use.
"""
from __future__ import annotations

from typing import Any

_LAZY = ("run", "RunResult", "LayerRun", "MemoryRefused", "Mismatch", "resized")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import runner
        return getattr(runner, name)
    raise AttributeError(f"module 'cnncalc.executor' has no attribute '{name}'")


__all__ = list(_LAZY)
